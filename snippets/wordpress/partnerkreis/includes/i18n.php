<?php
/**
 * German texts for the plugin's English source strings (text domain
 * "partnerkreis"), used where WordPress has no translation file loaded.
 * A PHP array: nothing to compile, so the plugin needs no tools.
 *
 * @package Partnerkreis
 * License: GPL-2.0-or-later
 */

defined( 'ABSPATH' ) || exit;

/**
 * The language of the current user's admin, or of the site.
 */
function partnerkreis_locale() {
	return function_exists( 'determine_locale' ) ? determine_locale() : get_locale();
}

/**
 * English source text => German, for German locales (de_DE, de_AT, de_CH, formal too).
 *
 * @param string $locale A WordPress locale such as "de_DE_formal".
 * @return array<string, string>
 */
function partnerkreis_translations( $locale ) {
	if ( 0 !== strpos( (string) $locale, 'de' ) ) {
		return array();
	}
	return array(
		'Partnerkreis'                         => 'Partnerkreis',
		'Partnerkreis settings'                => 'Partnerkreis-Einstellungen',
		'Server'                               => 'Server',
		'Save Changes'                         => 'Änderungen speichern',
		'The address of your network\'s Partnerkreis server, e.g. https://partner.example.org. Blocks whose pasted code names a server use that one.' => 'Adresse des Partnerkreis-Servers Ihres Netzwerks, z. B. https://partner.example.org. Blöcke, deren eingefügter Code einen Server nennt, nehmen diesen.',
		'Add the block "Partnerkreis" to a page and paste the embed code from your portal into it. The shortcode [partnerkreis token="…"] and the widget "Partnerkreis" work too.' => 'Fügen Sie einer Seite den Block „Partnerkreis“ hinzu und fügen Sie den Einbettungscode aus Ihrem Portal dort ein. Der Shortcode [partnerkreis token="…"] und das Widget „Partnerkreis“ funktionieren auch.',
		'Embed code or token'                  => 'Einbettungscode oder Token',
		'Paste the code from your Partnerkreis portal as it is.' => 'Den Code aus Ihrem Partnerkreis-Portal unverändert einfügen.',
		'Paste the embed code from your portal (or just the token) into the box on the right.' => 'Den Einbettungscode aus Ihrem Portal (oder nur das Token) in das Feld rechts einfügen.',
		'The server address is missing: paste the whole embed code, or enter the server under Settings → Partnerkreis.' => 'Die Serveradresse fehlt: den ganzen Einbettungscode einfügen oder den Server unter Einstellungen → Partnerkreis eintragen.',
		'Network default'                      => 'Voreinstellung des Netzwerks',
		'Language'                             => 'Sprache',
		'Layout'                               => 'Darstellung',
		'Cards'                                => 'Karten',
		'List'                                 => 'Liste',
		'Compact'                              => 'Kompakt',
		'Colours'                              => 'Farben',
		'Like the device'                      => 'Wie das Gerät',
		'Light'                                => 'Hell',
		'Dark'                                 => 'Dunkel',
		'Shows your network\'s partner block.' => 'Zeigt den Partnerblock Ihres Netzwerks.',
		'Title (optional)'                     => 'Titel (optional)',
	);
}

/**
 * Filter gettext_partnerkreis: the German text where no translation file gave one.
 *
 * @param string $translation What WordPress found.
 * @param string $text        The English source text.
 */
function partnerkreis_gettext( $translation, $text ) {
	static $strings = null;
	if ( $translation !== $text ) {
		return $translation;
	}
	if ( null === $strings ) {
		$strings = partnerkreis_translations( partnerkreis_locale() );
	}
	return $strings[ $text ] ?? $translation;
}
add_filter( 'gettext_partnerkreis', 'partnerkreis_gettext', 10, 2 );
