<?php
/**
 * Plugin Name:       Partnerkreis
 * Description:       Zeigt den Partnerkreis-Block „Unsere Partner“ mit dem Shortcode [partnerkreis token="…"]. Shows the Partnerkreis partner block.
 * Version:           1.0.0
 * Requires at least: 6.3
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
 * Usage:  [partnerkreis token="EMBED_TOKEN"]
 * All attributes: token (required), server (default: Settings → General →
 * Partnerkreis-Server), theme (the cluster's slug, for the link visitors
 * without JavaScript see), lang (de|en), layout (cards|list|compact),
 * color_scheme (auto|light|dark).
 */

defined( 'ABSPATH' ) || exit;

const PARTNERKREIS_OPTION = 'partnerkreis_server';

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
 * @param mixed    $value   The attribute as written in the shortcode.
 * @param string[] $allowed The values the server knows.
 */
function partnerkreis_choice( $value, array $allowed ) {
	$value = strtolower( trim( (string) $value ) );
	return in_array( $value, $allowed, true ) ? $value : '';
}

/**
 * [partnerkreis token="…"]: the container, the loader (enqueued once, async)
 * and a link for visitors without JavaScript.
 *
 * @param array|string $atts Shortcode attributes.
 */
function partnerkreis_shortcode( $atts ) {
	$atts = shortcode_atts(
		array(
			'token'        => '',
			'server'       => get_option( PARTNERKREIS_OPTION, '' ),
			'theme'        => '',
			'lang'         => '',
			'layout'       => '',
			'color_scheme' => '',
		),
		$atts,
		'partnerkreis'
	);

	$server = partnerkreis_sanitize_server( $atts['server'] );
	$token  = trim( (string) $atts['token'] );
	// Embed codes are URL-safe: letters, digits, '.', '_', '-'.
	if ( '' === $server || ! preg_match( '/^[A-Za-z0-9._-]{1,500}$/', $token ) ) {
		return '<!-- Partnerkreis: token or server missing or invalid -->';
	}
	$theme  = preg_match( '/^[a-z0-9-]{1,100}$/', (string) $atts['theme'] ) ? $atts['theme'] : '';
	$lang   = partnerkreis_choice( $atts['lang'], array( 'de', 'en' ) );
	$layout = partnerkreis_choice( $atts['layout'], array( 'cards', 'list', 'compact' ) );
	$scheme = partnerkreis_choice( $atts['color_scheme'], array( 'auto', 'light', 'dark' ) );

	// One handle: WordPress prints the loader once however many blocks a page has.
	// Printed in the footer (the shortcode runs after the head was sent), async.
	wp_enqueue_script(
		'partnerkreis',
		$server . '/embed.js',
		array(),
		null, // no "?ver=": the loader is cached by the server's own headers
		array(
			'strategy'  => 'async',
			'in_footer' => true,
		)
	);

	$data = array(
		'data-partnerkreis' => $token,
		'data-lang'         => $lang,
		'data-layout'       => $layout,
		'data-color-scheme' => $scheme,
	);
	$attributes = '';
	foreach ( $data as $name => $value ) {
		if ( '' !== $value || 'data-partnerkreis' === $name ) {
			$attributes .= ' ' . $name . '="' . esc_attr( $value ) . '"';
		}
	}

	$fallback = $server . '/' . ( '' !== $theme ? 't/' . $theme : '' ) . ( 'en' === $lang ? '?lang=en' : '' );
	$label    = 'en' === $lang ? 'Our partners' : 'Unsere Partner';

	return '<div' . $attributes . '></div>'
		. '<noscript><a href="' . esc_url( $fallback ) . '">' . esc_html( $label ) . '</a></noscript>';
}
add_shortcode( 'partnerkreis', 'partnerkreis_shortcode' );

/**
 * Settings → General: the default server, so the shortcode needs only the token.
 */
function partnerkreis_register_setting() {
	register_setting(
		'general',
		PARTNERKREIS_OPTION,
		array(
			'type'              => 'string',
			'sanitize_callback' => 'partnerkreis_sanitize_server',
			'default'           => '',
		)
	);
	add_settings_field(
		PARTNERKREIS_OPTION,
		'<label for="' . esc_attr( PARTNERKREIS_OPTION ) . '">' . esc_html__( 'Partnerkreis-Server', 'partnerkreis' ) . '</label>',
		'partnerkreis_render_setting',
		'general'
	);
}
add_action( 'admin_init', 'partnerkreis_register_setting' );

/**
 * The settings field.
 */
function partnerkreis_render_setting() {
	printf(
		'<input type="url" class="regular-text code" id="%1$s" name="%1$s" value="%2$s" placeholder="https://partner.example.org">'
		. '<p class="description">%3$s</p>',
		esc_attr( PARTNERKREIS_OPTION ),
		esc_attr( get_option( PARTNERKREIS_OPTION, '' ) ),
		esc_html__( 'Adresse des Partnerkreis-Servers Ihres Netzwerks (Standard für den Shortcode [partnerkreis]).', 'partnerkreis' )
	);
}
