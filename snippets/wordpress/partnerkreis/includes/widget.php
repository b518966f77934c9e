<?php
/**
 * The classic widget "Partnerkreis" for widget areas.
 *
 * @package Partnerkreis
 * License: GPL-2.0-or-later
 */

defined( 'ABSPATH' ) || exit;

/**
 * One partner block in a widget area: a title and the pasted embed code.
 */
class Partnerkreis_Widget extends WP_Widget {

	/**
	 * Registers the widget's name and description.
	 */
	public function __construct() {
		parent::__construct(
			'partnerkreis',
			__( 'Partnerkreis', 'partnerkreis' ),
			array( 'description' => __( 'Shows your network\'s partner block.', 'partnerkreis' ) )
		);
	}

	/**
	 * The widget on the site.
	 *
	 * @param array $args     The area's wrappers.
	 * @param array $instance The saved settings.
	 */
	public function widget( $args, $instance ) {
		$title = trim( (string) ( $instance['title'] ?? '' ) );
		echo $args['before_widget']; // phpcs:ignore WordPress.Security.EscapeOutput -- the theme's markup
		if ( '' !== $title ) {
			echo $args['before_title'] . esc_html( $title ) . $args['after_title']; // phpcs:ignore WordPress.Security.EscapeOutput
		}
		echo partnerkreis_render( array( 'code' => (string) ( $instance['code'] ?? '' ) ) ); // phpcs:ignore WordPress.Security.EscapeOutput -- escaped inside
		echo $args['after_widget']; // phpcs:ignore WordPress.Security.EscapeOutput
	}

	/**
	 * The widget's form.
	 *
	 * @param array $instance The saved settings.
	 */
	public function form( $instance ) {
		$fields = array(
			'title' => __( 'Title (optional)', 'partnerkreis' ),
			'code'  => __( 'Embed code or token', 'partnerkreis' ),
		);
		foreach ( $fields as $key => $label ) {
			$id    = $this->get_field_id( $key );
			$name  = $this->get_field_name( $key );
			$value = (string) ( $instance[ $key ] ?? '' );
			echo '<p><label for="' . esc_attr( $id ) . '">' . esc_html( $label ) . '</label>';
			if ( 'code' === $key ) {
				echo '<textarea class="widefat code" rows="4" id="' . esc_attr( $id ) . '" name="' . esc_attr( $name ) . '">' . esc_textarea( $value ) . '</textarea></p>';
			} else {
				echo '<input class="widefat" id="' . esc_attr( $id ) . '" name="' . esc_attr( $name ) . '" value="' . esc_attr( $value ) . '"></p>';
			}
		}
		return '';
	}

	/**
	 * Keeps the title as text and the code as pasted (it is parsed and escaped on output).
	 *
	 * @param array $new_instance The form's values.
	 * @param array $old_instance The saved settings.
	 */
	public function update( $new_instance, $old_instance ) {
		return array(
			'title' => sanitize_text_field( (string) ( $new_instance['title'] ?? '' ) ),
			'code'  => trim( (string) ( $new_instance['code'] ?? '' ) ),
		);
	}
}
