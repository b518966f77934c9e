<?php
/**
 * Dependencies of editor.js (plain JavaScript on WordPress's globals, no build step).
 *
 * @package Partnerkreis
 */

return array(
	'dependencies' => array( 'wp-blocks', 'wp-element', 'wp-block-editor', 'wp-components', 'wp-server-side-render', 'wp-i18n' ),
	'version'      => '1.1.0',
);
