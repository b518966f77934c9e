<?php
/**
 * Removes the plugin's only option when the plugin is deleted.
 *
 * @package Partnerkreis
 * License: GPL-2.0-or-later
 */

defined( 'WP_UNINSTALL_PLUGIN' ) || exit;

delete_option( 'partnerkreis_server' );
