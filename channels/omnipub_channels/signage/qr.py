"""QR codes sized to the screen they are shown on.

A phone decodes a code on a screen when every module covers whole screen pixels and the code
keeps its quiet zone. So the code is drawn at a whole number of pixels per module, as large
as its card allows on that screen, and a code that would fall under the minimum is refused
at build time rather than shown unreadable.
"""

from __future__ import annotations

from dataclasses import dataclass

import segno

#: modules of light margin on each side, as the QR standard (ISO/IEC 18004) asks
QUIET_ZONE = 4
#: the share of the screen's short side the code's card may take, per orientation: on a
#: landscape screen the card shares the bottom with the headline, on a portrait one it has
#: the width to itself
CARD_SHARE = {"landscape": 0.36, "portrait": 0.40}
#: the smallest module, in screen pixels: on a 55-inch 1080p screen (0.63 mm pixels) six
#: pixels make a 3.8 mm module, so a typical 41-49 module code is 15-19 cm wide and reads
#: from about 1.5-2 m (the common rule: scanning distance about ten times the code's width)
MIN_MODULE = 6


class QrTooSmall(ValueError):
    """The code does not fit its card at the minimum module size."""


@dataclass(frozen=True)
class QrCode:
    url: str
    #: the inline SVG, sized by CSS (see `css_size`)
    svg: str
    #: modules across, quiet zone included
    modules: int
    #: screen pixels per module
    module_px: int
    #: the code's side in screen pixels, quiet zone included
    size_px: int
    #: the same side as a CSS length relative to the screen's short side, so the code is
    #: exactly `size_px` on the screen and scales with the slide in a smaller preview
    css_size: str


def card_room(width: int, height: int, orientation: str) -> int:
    """The largest side, in screen pixels, the code's card may take on this screen."""
    return int(min(width, height) * CARD_SHARE[orientation])


def fit_qr(url: str, width: int, height: int, orientation: str, min_module: int) -> QrCode:
    """The code for `url`, as large as its card on a `width`x`height` screen allows.

    Raises QrTooSmall when even the smallest readable module would not fit."""
    code = segno.make(url, error="m", micro=False)
    modules = int(code.symbol_size(scale=1, border=QUIET_ZONE)[0])
    room = card_room(width, height, orientation)
    module_px = room // modules
    if module_px < min_module:
        raise QrTooSmall(
            f"its QR code needs {modules} modules (version {code.version}, quiet zone "
            f"included) in a {room} px card: {module_px} px a module, under the minimum of "
            f"{min_module} px"
        )
    size = modules * module_px
    svg = code.svg_inline(scale=1, border=QUIET_ZONE, dark="#000", light="#fff", omitsize=True)
    svg = svg.replace("<svg ", '<svg shape-rendering="crispEdges" aria-hidden="true" ', 1)
    short = min(width, height)
    return QrCode(url, svg, modules, module_px, size, f"{100 * size / short:.6f}vmin")
