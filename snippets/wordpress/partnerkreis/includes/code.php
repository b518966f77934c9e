<?php
/**
 * Reads what a shop owner pasted: the bare token, or the whole embed code as
 * the portal shows it (script tag, container, <noscript> link), possibly with
 * its script tag stripped by WordPress or mangled by the editor.
 *
 * @package Partnerkreis
 * License: GPL-2.0-or-later
 */

defined( 'ABSPATH' ) || exit;

/**
 * A server URL as stored and used: http(s), no query, no trailing slash; '' if unusable.
 * "partner.example.org" becomes "https://partner.example.org".
 *
 * @param mixed $value What the user entered.
 */
function partnerkreis_sanitize_server( $value ) {
	$url = trim( (string) $value );
	if ( '' !== $url && ! preg_match( '#^[a-z][a-z0-9+.-]*://#i', $url ) ) {
		$url = 'https://' . $url;
	}
	// Scheme, host (IDN allowed), optional port and path; nothing that needs escaping.
	if ( ! preg_match( '#^https?://[a-z0-9.\x80-\xff-]+(:[0-9]{1,5})?(/[a-z0-9._~%/-]*)?$#i', $url ) ) {
		return '';
	}
	return untrailingslashit( esc_url_raw( $url, array( 'http', 'https' ) ) );
}

/**
 * The allowed value of an option attribute, or '' (the server's default).
 *
 * @param mixed    $value   The attribute as written.
 * @param string[] $allowed The values the server knows.
 */
function partnerkreis_choice( $value, array $allowed ) {
	$value = strtolower( trim( (string) $value ) );
	return in_array( $value, $allowed, true ) ? $value : '';
}

/**
 * The joint slot's kinds as data-show names them ("partners,offer,event"): the known
 * ones in their usual order, '' when none (partners only, the server's default).
 *
 * @param mixed $value The attribute as written.
 */
function partnerkreis_show( $value ) {
	$asked = array_map( 'trim', explode( ',', strtolower( (string) $value ) ) );
	$kinds = array_intersect( array( 'partners', 'offer', 'event' ), $asked );
	return array_intersect( array( 'offer', 'event' ), $kinds ) ? implode( ',', $kinds ) : '';
}

/**
 * What a pasted embed code says: token, server, theme and data- options ('' where absent).
 *
 * @param string $code The bare token or the embed code.
 * @return array<string, string>
 */
function partnerkreis_parse_code( $code ) {
	// Editors turn quotes into typographic ones and escape markup: undo both.
	$code = html_entity_decode( trim( (string) $code ), ENT_QUOTES, 'UTF-8' );
	$code = str_replace( array( '“', '”', '„', '″' ), '"', $code );
	$found = array(
		'token'        => '',
		'server'       => '',
		'theme'        => '',
		'lang'         => '',
		'layout'       => '',
		'color_scheme' => '',
		'show'         => '',
	);
	if ( false === strpos( $code, '<' ) && false === strpos( $code, '=' ) ) {
		$found['token'] = $code; // the bare token
		return $found;
	}
	$attr = function ( $name ) use ( $code ) {
		return preg_match( '/\s' . $name . '\s*=\s*["\']([^"\']*)["\']/i', $code, $m ) ? trim( $m[1] ) : '';
	};
	$found['token']        = $attr( 'data-partnerkreis' );
	$found['lang']         = $attr( 'data-lang' );
	$found['layout']       = $attr( 'data-layout' );
	$found['color_scheme'] = $attr( 'data-color-scheme' );
	$found['show']         = $attr( 'data-show' );
	if ( preg_match( '#\ssrc\s*=\s*["\'](https?://[^"\']+?)/embed\.js["\'?]#i', $code, $m ) ) {
		$found['server'] = $m[1];
	}
	if ( preg_match( '#\shref\s*=\s*["\'](https?://[^"\']+?)/t/([a-z0-9-]+)#i', $code, $m ) ) {
		$found['theme'] = $m[2];
		if ( '' === $found['server'] ) {
			$found['server'] = $m[1];
		}
	}
	return $found;
}

/**
 * Attributes as the render needs them: validated, with the pasted code read
 * and the default server filled in. token is '' when unusable.
 *
 * @param array  $atts    token, code, server, theme, lang, layout, color_scheme, show (any may be absent).
 * @param string $default The server from the settings.
 * @return array<string, string>
 */
function partnerkreis_resolve( array $atts, $default ) {
	$given = array();
	foreach ( array( 'token', 'server', 'theme', 'lang', 'layout', 'color_scheme', 'show' ) as $key ) {
		$given[ $key ] = trim( (string) ( $atts[ $key ] ?? '' ) );
	}
	if ( '' === $given['token'] && '' !== trim( (string) ( $atts['code'] ?? '' ) ) ) {
		$pasted = partnerkreis_parse_code( $atts['code'] );
		foreach ( $pasted as $key => $value ) {
			if ( '' === $given[ $key ] || 'token' === $key ) {
				$given[ $key ] = $value;
			}
		}
	} elseif ( '' !== $given['token'] && preg_match( '/[<=]/', $given['token'] ) ) {
		// The whole code pasted where the token belongs.
		$pasted         = partnerkreis_parse_code( $given['token'] );
		$given['token'] = $pasted['token'];
		foreach ( array( 'server', 'theme' ) as $key ) {
			if ( '' === $given[ $key ] ) {
				$given[ $key ] = $pasted[ $key ];
			}
		}
	}
	$server = partnerkreis_sanitize_server( '' !== $given['server'] ? $given['server'] : $default );
	// Embed codes are URL-safe: letters, digits, '.', '_', '-'.
	$token = preg_match( '/^[A-Za-z0-9._-]{1,500}$/', $given['token'] ) ? $given['token'] : '';
	return array(
		'token'        => $token,
		'server'       => $server,
		'theme'        => preg_match( '/^[a-z0-9-]{1,100}$/', $given['theme'] ) ? $given['theme'] : '',
		'lang'         => partnerkreis_choice( $given['lang'], array( 'de', 'en' ) ),
		'layout'       => partnerkreis_choice( $given['layout'], array( 'cards', 'list', 'compact' ) ),
		'color_scheme' => partnerkreis_choice( $given['color_scheme'], array( 'auto', 'light', 'dark' ) ),
		'show'         => partnerkreis_show( $given['show'] ),
	);
}
