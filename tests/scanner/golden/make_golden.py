"""Regenerate the golden photos and their expected reads (run by hand, then review the diff).

    .venv/bin/python tests/scanner/golden/make_golden.py

Each photo is a seeded synthetic classroom (``scanner.synth``): cards of several sizes held at
an angle on a cluttered, textured background, blurred, noisy, unevenly lit and JPEG-compressed,
saved once more as JPEG. ``expected.json`` holds where each card really is (the generator's
truth, not the detector's output), so the test compares the detector with the truth.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import cv2
import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent.parent))

from scanner import Deck  # noqa: E402
from scanner.synth import classroom_frame  # noqa: E402

# (file, seed, width, height, cards, smallest side, largest side)
PHOTOS = [
    ("classroom_near.jpg", 101, 800, 600, 8, 60.0, 160.0),
    ("classroom_mid.jpg", 202, 960, 540, 14, 32.0, 90.0),
    ("classroom_far.jpg", 303, 1024, 576, 20, 26.0, 60.0),
    ("classroom_mixed.jpg", 404, 900, 600, 16, 28.0, 130.0),
]


def main() -> None:
    deck = Deck()
    expected: dict[str, list[dict[str, object]]] = {}
    for name, seed, width, height, cards, lo, hi in PHOTOS:
        rng = np.random.default_rng(seed)
        frame, truth = classroom_frame(
            rng, deck, width=width, height=height, n_cards=cards, min_side=lo, max_side=hi
        )
        ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 85])
        assert ok
        (HERE / name).write_bytes(buf.tobytes())
        expected[name] = [
            {
                "card": t.card,
                "answer": t.answer,
                "corners": [[round(float(x), 2), round(float(y), 2)] for x, y in t.corners],
            }
            for t in sorted(truth, key=lambda t: t.card)
        ]
        print(f"{name}: {len(truth)} cards, {len(buf)} bytes")
    (HERE / "expected.json").write_text(json.dumps(expected, indent=1) + "\n")


if __name__ == "__main__":
    main()
