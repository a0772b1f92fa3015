"""Take the README tour's screenshots: each page at phone, laptop and projector sizes.

Runs ``cardcheck serve --demo`` on a free port with a throwaway data folder, answers the first
demo question the way the demo camera would (the Blue group sharing a misconception), and
photographs the pages with Debian's Chromium. The scanner's camera is a fake one playing a video
of the demo class holding up their cards.

    .venv/bin/python docs/screenshots/take.py

Then the two of the browser walk of two classes at once (``tests/browser/
test_browser_first_hour.py``): the console with two sessions running, and the scanner's
warning when the cards it reads are not its session's class's; and the printed conferring
record of the progression loop (``tests/browser/test_browser_progress.py``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "browser"))

from test_browser_pages import BASE_ARGS, CHROMIUM, Server, free_port, write_y4m  # noqa: E402

from live.demo.camera import plan_question, render_room, seats_for  # noqa: E402
from scanner import Deck  # noqa: E402

OUT = Path(__file__).resolve().parent
SIZES = {"phone": (390, 844), "laptop": (1366, 768), "projector": (1920, 1080)}


def main() -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        server = Server(free_port(), Path(tmp) / "data", demo=True)
        server.start()
        try:
            video = Path(tmp) / "room.y4m"
            tokens = stage(server, video)
            args = [
                *BASE_ARGS,
                "--use-fake-device-for-media-stream",
                "--use-fake-ui-for-media-stream",
                f"--use-file-for-fake-video-capture={video}",
            ]
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=args)
                for page_name in ("scanner", "projector", "teacher"):
                    url = tokens[page_name]
                    if page_name == "teacher":
                        # the console after the question closes: the rule engine has flagged
                        # the group that shares a misconception
                        server.api("POST", f"/sessions/{tokens['session']}/close")
                    for size_name, (w, h) in SIZES.items():
                        shoot(
                            browser,
                            f"{server.base}{url}",
                            OUT / f"{page_name}-{size_name}.png",
                            w,
                            h,
                        )
                browser.close()
        finally:
            server.stop()
    walk = "tests/browser/test_browser_first_hour.py::test_two_classes_run_at_once_and_each_scanner_records_only_into_its_own"
    loop = "tests/browser/test_browser_progress.py"  # the printed conferring record
    env = {**os.environ, "CARDCHECK_SCREENSHOTS": str(OUT)}
    subprocess.run([sys.executable, "-m", "pytest", "-q", walk, loop], cwd=ROOT, env=env, check=True)
    for name in ("console-two-sessions.png", "scanner-wrong-class.png", "conferring-record.png"):
        print(f"wrote {(OUT / name).relative_to(ROOT)}")


def stage(server: Server, video: Path) -> dict[str, str]:
    """The demo class mid-question: most have answered, Blue mostly chose 2/5. Returns the
pages' URLs and the session id (under "session")."""
    from test_browser_pages import TOKEN

    classes = {c["name"]: c for c in server.api("GET", "/classes")}
    cls = next(c for n, c in classes.items() if n.startswith("Demo"))
    students = server.api("GET", f"/classes/{cls['id']}/students")
    groups = server.api("GET", f"/classes/{cls['id']}/groups")
    qset = server.api("GET", "/sets")[0]
    questions = {q["id"]: q for q in server.api("GET", "/questions")}
    session = server.api("POST", "/sessions", {"class_id": cls["id"], "set_id": qset["id"]})
    sid = session["id"]
    first = questions[qset["questions"][0]]
    server.api("POST", f"/sessions/{sid}/ask", {"question_id": first["id"]})
    plan = plan_question(np.random.default_rng(5), first, students, groups, pace=20)
    by_card = {s["card"]: s for s in students}
    for answer in plan[:-4]:  # a few still to come
        server.api(
            "PUT",
            f"/sessions/{sid}/responses/{by_card[answer.card]['id']}",
            {"answer": answer.answer},
        )
    deck = Deck()
    seats = seats_for([s["card"] for s in students], np.random.default_rng(1))
    shown = {a.card: a.answer for a in plan}
    frames = [render_room(deck, seats, shown, 3.0 + i * 0.05) for i in range(10)]
    frames = [cv2.resize(f, (1280, 720)) for f in frames]
    write_y4m(video, frames)
    ptoken = server.projector_token()
    return {
        "teacher": f"/teacher/?token={TOKEN}",
        "projector": f"/projector/?session={sid}&token={ptoken}",
        "scanner": f"/scan/?session={sid}&token={TOKEN}",
        "session": str(sid),
    }


def shoot(browser: object, url: str, path: Path, w: int, h: int) -> None:
    page = browser.new_page(viewport={"width": w, "height": h})  # type: ignore[attr-defined]
    page.goto(url)
    page.wait_for_timeout(3500)
    page.screenshot(path=str(path))
    page.close()
    print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
