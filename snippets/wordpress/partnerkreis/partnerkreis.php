<?php
/**
 * Plugin Name:       Partnerkreis
 * Description:       Shows your cooperation network's partner block: a block for the block editor, the shortcode [partnerkreis] and a classic widget. Zeigt den Partnerkreis-Block „Unsere Partner“.
 * Version:           1.1.0
 * Requires at least: 6.1
 * Requires PHP:      7.4
 * Author:            Partnerkreis
 * License:           GPL-2.0-or-later
 * License URI:       https://www.gnu.org/licenses/gpl-2.0.html
 * Text Domain:       partnerkreis
 *
 * This plugin file is free software: you can redistribute it and/or modify it
 * under the terms of the GNU General Public License as published by the Free
 * Software Foundation, either version 2 of the License, or (at your option)
 * any later version. It is distributed WITHOUT ANY WARRANTY.
 *
 * Usage: the block "Partnerkreis", or
 *   [partnerkreis token="EMBED_TOKEN"]
 *   [partnerkreis]…the embed code as pasted from the portal…[/partnerkreis]
 * All attributes: token (or code: the whole embed code), server (default:
 * Settings → Partnerkreis), theme (the cluster's slug, for the link visitors
 * without JavaScript see), lang (de|en), layout (cards|list|compact),
 * color_scheme (auto|light|dark), show (partners,offer,event: a joint offer or
 * event as one more card).
 */

defined( 'ABSPATH' ) || exit;

const PARTNERKREIS_VERSION = '1.1.0';
const PARTNERKREIS_OPTION  = 'partnerkreis_server';

require_once __DIR__ . '/includes/i18n.php';
require_once __DIR__ . '/includes/code.php';

/**
 * The container, the loader (enqueued once, async) and a link for visitors
 * without JavaScript, which the loader also shows when the server refuses the
 * token. Without a usable token: the same link, visible, if the server is known.
 *
 * @param array $atts Attributes: token or code, server, theme, lang, layout, color_scheme, show.
 */
function partnerkreis_render( array $atts ) {
	$atts = partnerkreis_resolve( $atts, get_option( PARTNERKREIS_OPTION, '' ) );
	if ( '' === $atts['server'] ) {
		return '<!-- Partnerkreis: token or server missing or invalid -->';
	}
	$fallback = $atts['server'] . '/' . ( '' !== $atts['theme'] ? 't/' . $atts['theme'] : '' )
		. ( 'en' === $atts['lang'] ? '?lang=en' : '' );
	$label    = 'en' === $atts['lang'] ? 'Our partners' : 'Unsere Partner';
	$link     = '<a href="' . esc_url( $fallback ) . '">' . esc_html( $label ) . '</a>';
	if ( '' === $atts['token'] ) {
		// Broken code shows the plain link rather than nothing.
		return '<p class="partnerkreis-fallback">' . $link . '</p>';
	}

	// One handle: WordPress prints the loader once however many blocks a page has.
	// Printed in the footer (the shortcode runs after the head was sent), async.
	wp_enqueue_script(
		'partnerkreis',
		$atts['server'] . '/embed.js',
		array(),
		null, // no "?ver=": the loader is cached by the server's own headers
		array(
			'strategy'  => 'async',
			'in_footer' => true,
		)
	);

	$data       = array(
		'data-partnerkreis' => $atts['token'],
		'data-lang'         => $atts['lang'],
		'data-layout'       => $atts['layout'],
		'data-color-scheme' => $atts['color_scheme'],
		'data-show'         => $atts['show'],
	);
	$attributes = '';
	foreach ( $data as $name => $value ) {
		if ( '' !== $value || 'data-partnerkreis' === $name ) {
			$attributes .= ' ' . $name . '="' . esc_attr( $value ) . '"';
		}
	}
	return '<div' . $attributes . '></div><noscript>' . $link . '</noscript>';
}

/**
 * [partnerkreis token="…"] or [partnerkreis]embed code[/partnerkreis].
 *
 * @param array|string $atts    Shortcode attributes.
 * @param string|null  $content The pasted embed code between the tags, if any.
 */
function partnerkreis_shortcode( $atts, $content = null ) {
	$atts = shortcode_atts(
		array(
			'token'        => '',
			'code'         => '',
			'server'       => '',
			'theme'        => '',
			'lang'         => '',
			'layout'       => '',
			'color_scheme' => '',
			'show'         => '',
		),
		$atts,
		'partnerkreis'
	);
	if ( '' === $atts['code'] && is_string( $content ) && '' !== trim( $content ) ) {
		$atts['code'] = $content;
	}
	return partnerkreis_render( $atts );
}
add_shortcode( 'partnerkreis', 'partnerkreis_shortcode' );

/**
 * WordPress before 6.3 ignores 'strategy': add the async attribute itself.
 *
 * @param string $tag    The script tag.
 * @param string $handle Its handle.
 */
function partnerkreis_async_tag( $tag, $handle ) {
	if ( 'partnerkreis' === $handle && false === strpos( $tag, ' async' ) ) {
		$tag = str_replace( '<script ', '<script async ', $tag );
	}
	return $tag;
}
add_filter( 'script_loader_tag', 'partnerkreis_async_tag', 10, 2 );

/**
 * The block "Partnerkreis" (block.json), rendered on the server like the shortcode.
 * In the editor (a REST request) it shows the real block in a frame as a preview.
 *
 * @param array $attributes The block's attributes.
 */
function partnerkreis_render_block( $attributes ) {
	$atts = array(
		'code'         => (string) ( $attributes['code'] ?? '' ),
		'lang'         => (string) ( $attributes['lang'] ?? '' ),
		'layout'       => (string) ( $attributes['layout'] ?? '' ),
		'color_scheme' => (string) ( $attributes['colorScheme'] ?? '' ),
	);
	if ( defined( 'REST_REQUEST' ) && REST_REQUEST ) {
		return partnerkreis_preview( $atts );
	}
	return partnerkreis_render( $atts );
}

/**
 * The editor's preview: the block as the server renders it for an iframe, or
 * a notice saying what is wrong with the pasted code.
 *
 * @param array $atts The block's attributes.
 */
function partnerkreis_preview( array $atts ) {
	$atts = partnerkreis_resolve( $atts, get_option( PARTNERKREIS_OPTION, '' ) );
	if ( '' === $atts['token'] || '' === $atts['server'] ) {
		$why = '' === $atts['token']
			? __( 'Paste the embed code from your portal (or just the token) into the box on the right.', 'partnerkreis' )
			: __( 'The server address is missing: paste the whole embed code, or enter the server under Settings → Partnerkreis.', 'partnerkreis' );
		return '<p class="partnerkreis-notice"><strong>Partnerkreis:</strong> ' . esc_html( $why ) . '</p>';
	}
	$query = array_filter(
		array(
			'lang'   => $atts['lang'],
			'layout' => $atts['layout'],
			'scheme' => $atts['color_scheme'],
			'show'   => $atts['show'],
		)
	);
	$src   = $atts['server'] . '/w/' . rawurlencode( $atts['token'] ) . '.html'
		. ( $query ? '?' . http_build_query( $query ) : '' );
	return '<iframe class="partnerkreis-preview" src="' . esc_url( $src ) . '" title="Partnerkreis"'
		. ' width="100%" height="360" style="border:0"></iframe>';
}

/**
 * Registers the block from block.json, with the editor script's translations.
 */
function partnerkreis_register_block() {
	register_block_type( __DIR__, array( 'render_callback' => 'partnerkreis_render_block' ) );
	$strings = partnerkreis_translations( partnerkreis_locale() );
	if ( $strings ) {
		$data = array( '' => array( 'domain' => 'partnerkreis' ) );
		foreach ( $strings as $english => $german ) {
			$data[ $english ] = array( $german );
		}
		wp_add_inline_script(
			'partnerkreis-partners-editor-script',
			'wp.i18n.setLocaleData(' . wp_json_encode( $data ) . ', "partnerkreis");',
			'before'
		);
	}
}
add_action( 'init', 'partnerkreis_register_block' );

/**
 * The classic widget (Appearance → Widgets, "Legacy Widget" in block themes).
 */
function partnerkreis_register_widget() {
	require_once __DIR__ . '/includes/widget.php';
	register_widget( 'Partnerkreis_Widget' );
}
add_action( 'widgets_init', 'partnerkreis_register_widget' );

require_once __DIR__ . '/includes/settings.php';
