<?php
/**
 * Settings → Partnerkreis: the network's server, so a block needs only the token.
 *
 * @package Partnerkreis
 * License: GPL-2.0-or-later
 */

defined( 'ABSPATH' ) || exit;

/**
 * Registers the option with the Settings API.
 */
function partnerkreis_register_setting() {
	register_setting(
		'partnerkreis',
		PARTNERKREIS_OPTION,
		array(
			'type'              => 'string',
			'sanitize_callback' => 'partnerkreis_sanitize_server',
			'default'           => '',
		)
	);
	add_settings_section( 'partnerkreis_main', '', '__return_false', 'partnerkreis' );
	add_settings_field(
		PARTNERKREIS_OPTION,
		'<label for="' . esc_attr( PARTNERKREIS_OPTION ) . '">' . esc_html__( 'Server', 'partnerkreis' ) . '</label>',
		'partnerkreis_render_setting',
		'partnerkreis',
		'partnerkreis_main'
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
		esc_html__( 'The address of your network\'s Partnerkreis server, e.g. https://partner.example.org. Blocks whose pasted code names a server use that one.', 'partnerkreis' )
	);
}

/**
 * The menu entry Settings → Partnerkreis.
 */
function partnerkreis_add_settings_page() {
	add_options_page(
		__( 'Partnerkreis settings', 'partnerkreis' ),
		__( 'Partnerkreis', 'partnerkreis' ),
		'manage_options',
		'partnerkreis',
		'partnerkreis_render_settings_page'
	);
}
add_action( 'admin_menu', 'partnerkreis_add_settings_page' );

/**
 * The settings page.
 */
function partnerkreis_render_settings_page() {
	if ( ! current_user_can( 'manage_options' ) ) {
		return;
	}
	echo '<div class="wrap"><h1>' . esc_html__( 'Partnerkreis settings', 'partnerkreis' ) . '</h1>';
	echo '<p>' . esc_html__( 'Add the block "Partnerkreis" to a page and paste the embed code from your portal into it. The shortcode [partnerkreis token="…"] and the widget "Partnerkreis" work too.', 'partnerkreis' ) . '</p>';
	echo '<form action="options.php" method="post">';
	settings_fields( 'partnerkreis' );
	do_settings_sections( 'partnerkreis' );
	submit_button( __( 'Save Changes', 'partnerkreis' ) );
	echo '</form></div>';
}
