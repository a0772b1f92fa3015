"""The pages' colours read well: WCAG 2.1 contrast of at least 4.5:1 for text (3:1 for the
projector's large type), over the colour tokens of the style sheets and every rule that sets a
text colour on a background of its own. axe checks the states the browser tests reach
(tests/browser/test_browser_a11y.py); this covers the colours of every state, reached or not.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

WEB = Path(__file__).resolve().parent.parent / "web"
SHEETS = {
    "base": WEB / "shared" / "base.css",
    "teacher": WEB / "teacher" / "teacher.css",
    "projector": WEB / "projector" / "projector.css",
    "scan": WEB / "scan" / "scan.css",
}
TEXT = 4.5
LARGE = 3.0  # 24px, or 18.66px bold, and larger (WCAG 1.4.3)


def luminance(hex_colour: str) -> float:
    h = hex_colour.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    channels = [int(h[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_contrast_matches_the_wcag_examples() -> None:
    assert contrast("#000", "#fff") == pytest.approx(21.0)
    assert contrast("#777", "#fff") == pytest.approx(4.48, abs=0.01)
    assert contrast("#fff", "#fff") == pytest.approx(1.0)


def css(name: str) -> str:
    return re.sub(r"/\*.*?\*/", "", SHEETS[name].read_text(), flags=re.S)


def split_media(text: str) -> tuple[str, dict[str, str]]:
    """The sheet without its @media blocks, and each block's body by its condition."""
    outside, blocks, i = [], {}, 0
    while (start := text.find("@media", i)) >= 0:
        outside.append(text[i:start])
        open_at = text.index("{", start)
        depth, j = 1, open_at + 1
        while depth:
            depth += {"{": 1, "}": -1}.get(text[j], 0)
            j += 1
        blocks[" ".join(text[start + 6 : open_at].split())] = text[open_at + 1 : j - 1]
        i = j
    outside.append(text[i:])
    return "".join(outside), blocks


def declared(text: str) -> dict[str, str]:
    return dict(re.findall(r"(--[\w-]+)\s*:\s*(#[0-9a-fA-F]{3,6})\b", text))


def tokens(*names: str, media: str | None = None) -> dict[str, str]:
    """Every ``--token: #hex`` the sheets declare outside @media (later sheets win, as in the
    page); with ``media``, then those of the sheets' @media block of that condition."""
    found: dict[str, str] = {}
    for name in names:
        found |= declared(split_media(css(name))[0])
    if media is not None:
        for name in names:
            found |= declared(split_media(css(name))[1].get(media, ""))
    return found


def resolve(value: str, known: dict[str, str]) -> str | None:
    """A colour value as #hex, or None when it is not one opaque colour (rgba, gradients)."""
    value = value.strip().removesuffix("!important").strip()
    named = {"white": "#fff", "black": "#000"}
    if value in named:
        return named[value]
    if re.fullmatch(r"#[0-9a-fA-F]{3}|#[0-9a-fA-F]{6}", value):
        return value
    match = re.fullmatch(r"var\((--[\w-]+)(?:\s*,\s*(.+))?\)", value)
    if match:
        if match[1] in known:
            return known[match[1]]
        return resolve(match[2], known) if match[2] else None
    return None


# which sheets' tokens each sheet sees, and its pages' own background
PAGES = {
    "base": (("base",), "--bg"),
    "teacher": (("base", "teacher"), "--page"),
    "projector": (("base", "projector"), "--p-bg"),
    "scan": (("base", "scan"), None),
}


def rules(name: str) -> list[tuple[str, dict[str, str]]]:
    found = []
    for selector, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css(name)):
        decls = dict(
            (k.strip(), v.strip())
            for k, v in (d.split(":", 1) for d in body.split(";") if ":" in d)
        )
        found.append((" ".join(selector.split()), decls))
    return found


def rule_pairs() -> list[tuple[str, str, str, str, float]]:
    """Each rule that sets a text colour and an opaque background of its own."""
    pairs = []
    for name, (seen, _) in PAGES.items():
        known = tokens(*seen)
        for selector, decls in rules(name):
            colour = decls.get("color")
            background = decls.get("background-color", decls.get("background"))
            if colour is None or background is None:
                continue
            fg, bg = resolve(colour, known), resolve(background, known)
            if fg is None or bg is None:
                continue
            # the projector's bar of the class name and status is its smallest type: 4.5 too
            pairs.append((name, selector, fg, bg, TEXT))
    return pairs


@pytest.mark.parametrize(
    ("sheet", "selector", "fg", "bg", "minimum"), rule_pairs(), ids=lambda v: str(v)
)
def test_every_rule_with_its_own_background_reads(
    sheet: str, selector: str, fg: str, bg: str, minimum: float
) -> None:
    assert contrast(fg, bg) >= minimum, f"{sheet}: {selector}: {fg} on {bg}"


# text colours set in one rule on backgrounds set in another: (sheet, text token, background
# token, minimum). Tokens are looked up in the sheets the page loads.
TOKEN_PAIRS = [
    *(
        ("teacher", fg, bg, TEXT)
        for fg in ("--ink", "--muted", "--accent")
        for bg in ("--bg", "--panel", "--page")
    ),
    ("teacher", "--ok", "--ok-bg", TEXT),
    ("teacher", "--ok", "--panel", TEXT),
    ("teacher", "--bad", "--bad-bg", TEXT),
    ("teacher", "--bad", "--panel", TEXT),
    ("teacher", "--warn", "--warn-bg", TEXT),
    ("teacher", "--muted", "--warn-bg", TEXT),  # a flag's urgency and evidence
    ("teacher", "--muted", "--bad-bg", TEXT),
    ("teacher", "--on-accent", "--accent", TEXT),  # primary buttons
    ("teacher", "--on-accent", "--ok", TEXT),  # the correct letter of the tally
    ("teacher", "--on-accent", "--bad", TEXT),  # an error toast, the interrupted badge
    ("teacher", "--top-ink", "--top", TEXT),  # the console's top bar
    ("teacher", "--top-muted", "--top", TEXT),
    ("teacher", "--top-warn", "--top", TEXT),
    ("projector", "--p-ink", "--p-bg", TEXT),
    ("projector", "--p-dim", "--p-bg", TEXT),  # the top bar: class name, question number
    ("projector", "--p-warn", "--p-bg", TEXT),  # "reconnecting…"
    ("projector", "--p-ink", "--p-choice", LARGE),  # choices: 1.5em of a 20px base and up
    ("projector", "--p-dim", "--p-choice", LARGE),  # choices after reveal, not the right one
    ("projector", "--p-ok-ink", "--p-choice", LARGE),  # the tick of the right answer
    ("projector", "--p-ink", "--p-bar", LARGE),  # a choice's text over its bar
    ("projector", "--p-ink", "--p-ok", LARGE),  # ... over the right answer's bar
    ("projector", "--p-ink", "--p-open", TEXT),  # status pills
    ("projector", "--p-ink", "--p-closed", TEXT),
    ("projector", "--p-ink", "--p-ok", TEXT),
    ("projector", "--p-ink", "--p-paused", TEXT),
    ("projector", "--p-ink", "--p-pill", TEXT),
    ("projector", "--p-ink", "--p-open", TEXT),  # an answered tile
    ("scan", "--box-ink", "--box-confirmed", TEXT),  # the overlay's labels
    ("scan", "--box-ink", "--box-reading", TEXT),
    ("scan", "--box-ink", "--box-foreign", TEXT),
    ("scan", "--hud-ink", "--hud", TEXT),  # the bars over the camera, at their darkest
    ("scan", "--hud-dim", "--hud", TEXT),
    ("scan", "--hud-warn", "--hud", TEXT),
    ("scan", "--hud-ink", "--hud-chip", TEXT),
    ("scan", "--hud-dim", "--hud-chip", TEXT),
]


@pytest.mark.parametrize(("sheet", "fg", "bg", "minimum"), TOKEN_PAIRS, ids=lambda v: str(v))
def test_text_tokens_read_on_their_backgrounds(
    sheet: str, fg: str, bg: str, minimum: float
) -> None:
    known = tokens(*PAGES[sheet][0])
    assert fg in known and bg in known, f"{sheet} declares no {fg} or {bg}"
    ratio = contrast(known[fg], known[bg])
    assert ratio >= minimum, f"{sheet}: {fg} {known[fg]} on {bg} {known[bg]}: {ratio:.2f}:1"


HIGH_CONTRAST = "(prefers-contrast: more)"


@pytest.mark.parametrize(
    ("fg", "bg", "minimum"),
    [(fg, bg, m) for sheet, fg, bg, m in TOKEN_PAIRS if sheet == "projector"],
    ids=lambda v: str(v),
)
def test_the_projector_in_high_contrast_reads_better_still(
    fg: str, bg: str, minimum: float
) -> None:
    """With the system's "more contrast", every pair is at least as good and at least 7:1 for
    text (WCAG's AAA), 4.5:1 for large type."""
    normal = tokens(*PAGES["projector"][0])
    more = tokens(*PAGES["projector"][0], media=HIGH_CONTRAST)
    assert more != normal, f"projector.css has no {HIGH_CONTRAST} block"
    ratio = contrast(more[fg], more[bg])
    assert ratio >= contrast(normal[fg], normal[bg]) - 0.01
    assert ratio >= (7.0 if minimum == TEXT else 4.5), f"{fg} on {bg}: {ratio:.2f}:1"


def test_the_scanner_bars_are_as_dark_as_their_token_says() -> None:
    """--hud is the bars' black over a white scene: the lightest they can be."""
    (alpha,) = re.findall(
        r"\.hud\s*\{[^}]*background:\s*rgba\(0,\s*0,\s*0,\s*([.0-9]+)\)", css("scan")
    )
    grey = round(255 * (1 - float(alpha)))
    assert tokens("scan")["--hud"].lower() == f"#{grey:02x}{grey:02x}{grey:02x}"
