/**
 * The block "Partnerkreis" in the block editor: a box for the embed code in
 * the sidebar and the block itself as a live preview, rendered by the server
 * (partnerkreis_render_block). Plain JavaScript on WordPress's globals.
 *
 * License: GPL-2.0-or-later
 */
( function ( wp ) {
	var el = wp.element.createElement;
	var __ = wp.i18n.__;
	var controls = wp.components;
	var editor = wp.blockEditor;
	var ServerSideRender = wp.serverSideRender;

	function choice( label, value, options, onChange ) {
		return el( controls.SelectControl, {
			label: label,
			value: value,
			options: [ { label: __( 'Network default', 'partnerkreis' ), value: '' } ].concat(
				options.map( function ( o ) {
					return { label: o[ 1 ], value: o[ 0 ] };
				} )
			),
			onChange: onChange,
		} );
	}

	wp.blocks.registerBlockType( 'partnerkreis/partners', {
		edit: function ( props ) {
			var a = props.attributes;
			var set = function ( name ) {
				return function ( value ) {
					var change = {};
					change[ name ] = value;
					props.setAttributes( change );
				};
			};
			var code = el( controls.TextareaControl, {
				label: __( 'Embed code or token', 'partnerkreis' ),
				help: __( 'Paste the code from your Partnerkreis portal as it is.', 'partnerkreis' ),
				value: a.code,
				rows: 5,
				onChange: set( 'code' ),
			} );
			return el(
				'div',
				editor.useBlockProps(),
				el(
					editor.InspectorControls,
					null,
					el(
						controls.PanelBody,
						{ title: __( 'Partnerkreis', 'partnerkreis' ) },
						code,
						choice( __( 'Language', 'partnerkreis' ), a.lang, [ [ 'de', 'Deutsch' ], [ 'en', 'English' ] ], set( 'lang' ) ),
						choice(
							__( 'Layout', 'partnerkreis' ),
							a.layout,
							[ [ 'cards', __( 'Cards', 'partnerkreis' ) ], [ 'list', __( 'List', 'partnerkreis' ) ], [ 'compact', __( 'Compact', 'partnerkreis' ) ] ],
							set( 'layout' )
						),
						choice(
							__( 'Colours', 'partnerkreis' ),
							a.colorScheme,
							[ [ 'auto', __( 'Like the device', 'partnerkreis' ) ], [ 'light', __( 'Light', 'partnerkreis' ) ], [ 'dark', __( 'Dark', 'partnerkreis' ) ] ],
							set( 'colorScheme' )
						)
					)
				),
				a.code ? null : el( 'div', { className: 'partnerkreis-code' }, code ),
				// Keyed by the attributes: a change renders a new preview at once. (WordPress
				// 6.1's own debounced refresh is lost when anything re-renders within 500 ms,
				// e.g. the answer for the empty block arriving just after the code was pasted.)
				el( ServerSideRender, {
					key: [ a.code, a.lang, a.layout, a.colorScheme ].join( '\n' ),
					block: 'partnerkreis/partners',
					attributes: a,
				} )
			);
		},
		save: function () {
			return null;
		},
	} );
} )( window.wp );
