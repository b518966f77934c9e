<?php
/**
 * Runs snippets/wordpress/partnerkreis/partnerkreis.php under php-cli with
 * small stand-ins for the WordPress functions it calls, for
 * tests/browser/test_snippets_wordpress.py. Not WordPress: each stand-in does what its
 * WordPress namesake does for the inputs used here (escaping as in
 * formatting.php, shortcode_atts() as in shortcodes.php, and a script
 * enqueued with 'strategy' => 'async' printed in the footer as WordPress 6.3+
 * prints it).
 *
 * Input (JSON on stdin): {"content": "post content with shortcodes",
 *                         "options": {"name": "value"},
 *                         "sanitize": [values entered in the settings field]}
 * Output (JSON): {"html": content after do_shortcode, then the footer scripts,
 *                 "scripts": what was enqueued, "settings": register_setting() calls,
 *                 "field": the settings field, "sanitized": the values as saved}
 */

define( 'ABSPATH', __DIR__ . '/' );

$input       = json_decode( stream_get_contents( STDIN ), true );
$wp_options  = $input['options'] ?? array();
$wp_actions  = array();
$wp_codes    = array();
$wp_scripts  = array(); // handle => [src, args], in enqueue order
$wp_settings = array();
$wp_fields   = array();

// -- escaping (wp-includes/formatting.php) ------------------------------------------------

function esc_attr( $text ) {
	return htmlspecialchars( (string) $text, ENT_QUOTES, 'UTF-8', false );
}

function esc_html( $text ) {
	return htmlspecialchars( (string) $text, ENT_QUOTES, 'UTF-8', false );
}

function __( $text, $domain = 'default' ) {
	return $text;
}

function esc_html__( $text, $domain = 'default' ) {
	return esc_html( $text );
}

function untrailingslashit( $value ) {
	return rtrim( $value, '/\\' );
}

function esc_url( $url, $protocols = null, $context = 'display' ) {
	$url = str_replace( ' ', '%20', ltrim( (string) $url ) );
	$url = preg_replace( '|[^a-z0-9-~+_.?#=!&;,/:%@$\|*\'()\[\]\\x80-\\xff]|i', '', $url );
	if ( '' === $url ) {
		return '';
	}
	if ( false === strpos( $url, ':' ) && ! in_array( $url[0], array( '/', '#', '?' ), true )
		&& ! preg_match( '/^[a-z0-9-]+?\.php/i', $url ) ) {
		$url = 'http://' . $url;
	}
	$protocols = $protocols ? $protocols : array( 'http', 'https', 'ftp', 'ftps', 'mailto', 'tel' );
	if ( preg_match( '/^([^:\/?#]+):/', $url, $m ) && ! in_array( strtolower( $m[1] ), $protocols, true ) ) {
		return '';
	}
	if ( 'display' === $context ) {
		$url = preg_replace( '/&(?!#?[a-z0-9]+;)/i', '&amp;', $url );
		$url = str_replace( array( '&amp;', "'" ), array( '&#038;', '&#039;' ), $url );
	}
	return $url;
}

function esc_url_raw( $url, $protocols = null ) {
	return esc_url( $url, $protocols, 'db' );
}

// -- options, hooks, settings ---------------------------------------------------------------

function get_option( $name, $default = false ) {
	global $wp_options;
	return array_key_exists( $name, $wp_options ) ? $wp_options[ $name ] : $default;
}

function add_action( $hook, $callback ) {
	global $wp_actions;
	$wp_actions[ $hook ][] = $callback;
}

function add_filter( $hook, $callback ) {
	add_action( $hook, $callback ); // registered only: no filter runs in this harness
}

function add_settings_section( $id, $title, $callback, $page ) {
}

function do_action( $hook ) {
	global $wp_actions;
	foreach ( $wp_actions[ $hook ] ?? array() as $callback ) {
		$callback();
	}
}

function register_setting( $group, $name, $args = array() ) {
	global $wp_settings;
	$wp_settings[] = array(
		'group'    => $group,
		'name'     => $name,
		'type'     => $args['type'] ?? null,
		'sanitize' => $args['sanitize_callback'] ?? null,
	);
}

function add_settings_field( $id, $title, $callback, $page, $section = 'default' ) {
	global $wp_fields;
	$wp_fields[] = array( $id, $title, $callback, $page );
}

// -- shortcodes (wp-includes/shortcodes.php) ----------------------------------------------

function add_shortcode( $tag, $callback ) {
	global $wp_codes;
	$wp_codes[ $tag ] = $callback;
}

function shortcode_atts( $pairs, $atts, $shortcode = '' ) {
	$atts = (array) $atts;
	$out  = array();
	foreach ( $pairs as $name => $default ) {
		$out[ $name ] = array_key_exists( $name, $atts ) ? $atts[ $name ] : $default;
	}
	return $out;
}

function shortcode_parse_atts( $text ) {
	$atts = array();
	preg_match_all( '/([\w-]+)\s*=\s*"([^"]*)"|([\w-]+)\s*=\s*\'([^\']*)\'|([\w-]+)\s*=\s*([^\s\'"]+)/', $text, $found, PREG_SET_ORDER );
	foreach ( $found as $m ) {
		if ( '' !== $m[1] ) {
			$atts[ strtolower( $m[1] ) ] = stripcslashes( $m[2] );
		} elseif ( '' !== ( $m[3] ?? '' ) ) {
			$atts[ strtolower( $m[3] ) ] = stripcslashes( $m[4] );
		} else {
			$atts[ strtolower( $m[5] ) ] = stripcslashes( $m[6] );
		}
	}
	return $atts ? $atts : '';
}

function do_shortcode( $content ) {
	global $wp_codes;
	return preg_replace_callback(
		'/\[([\w-]+)(\s[^\]]*)?\]/',
		function ( $m ) use ( $wp_codes ) {
			return isset( $wp_codes[ $m[1] ] )
				? $wp_codes[ $m[1] ]( shortcode_parse_atts( $m[2] ?? '' ), '', $m[1] )
				: $m[0];
		},
		$content
	);
}

// -- scripts (wp-includes/class-wp-scripts.php, 6.3+) -------------------------------------

function wp_enqueue_script( $handle, $src = '', $deps = array(), $ver = false, $args = array() ) {
	global $wp_scripts;
	if ( ! isset( $wp_scripts[ $handle ] ) ) { // the first registration of a handle wins
		$wp_scripts[ $handle ] = array( $src, is_array( $args ) ? $args : array( 'in_footer' => (bool) $args ) );
	}
}

function wp_print_footer_scripts() {
	global $wp_scripts;
	$out = '';
	foreach ( $wp_scripts as $handle => list( $src, $args ) ) {
		$strategy = $args['strategy'] ?? '';
		$out     .= sprintf(
			"<script src=\"%s\" id=\"%s-js\"%s></script>\n",
			esc_url( $src ),
			esc_attr( $handle ),
			$strategy ? ' ' . $strategy . ' data-wp-strategy="' . esc_attr( $strategy ) . '"' : ''
		);
	}
	return $out;
}

// -- a page view and a visit to Settings → General ----------------------------------------

require dirname( __DIR__, 2 ) . '/snippets/wordpress/partnerkreis/partnerkreis.php';

$html = do_shortcode( $input['content'] ) . "\n" . wp_print_footer_scripts();

do_action( 'admin_init' );
ob_start();
foreach ( $wp_fields as list( $id, $title, $callback ) ) {
	$callback();
}
$field = ob_get_clean();
$sanitized = array();
foreach ( $input['sanitize'] ?? array() as $value ) {
	$sanitized[] = $wp_settings[0]['sanitize']( $value );
}

echo json_encode(
	array(
		'html'      => $html,
		'scripts'   => $wp_scripts,
		'settings'  => $wp_settings,
		'field'     => $field,
		'sanitized' => $sanitized,
	),
	JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE
);
