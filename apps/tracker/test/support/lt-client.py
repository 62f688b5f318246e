"""A BitTorrent client on python3-libtorrent for the real-client test (real-clients.test.ts).

Run with Debian's /usr/bin/python3 (the module is python3-libtorrent):
    lt-client.py TORRENT SAVE_DIR LISTEN_PORT

It adds one torrent (it seeds if SAVE_DIR already holds the complete file, else downloads),
with DHT, local service discovery, UPnP/NAT-PMP and uTP off: the tracker is the only way to find
peers. It prints one JSON object per line on stdout as things happen:
    {"ev": "announce", "event": "started"}      an announce was sent (event: none, completed, started, stopped)
    {"ev": "reply", "peers": 1}                  the tracker answered it
    {"ev": "tracker_error", "msg": "..."}        the tracker failed it (or refused it)
    {"ev": "finished", ...counters}              the download is complete (libtorrent then announces `completed`)
    {"ev": "exit", ...counters}                  after the final `stopped` announce was answered
On a "stop" line on stdin, on end of stdin (the test process died) or on SIGTERM it pauses the
torrent, which announces `stopped`, waits (10 s at most) for the tracker's answer and exits 0.
"""
import json
import signal
import sys
import threading
import time

import libtorrent as lt

torrent_path, save_dir, port = sys.argv[1], sys.argv[2], int(sys.argv[3])

stop = threading.Event()


def read_stdin():
    for line in sys.stdin:
        if line.strip() == "stop":
            break
    stop.set()


threading.Thread(target=read_stdin, daemon=True).start()
signal.signal(signal.SIGTERM, lambda *_: stop.set())


def say(**obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


EVENTS = {0: "none", 1: "completed", 2: "started", 3: "stopped", 4: "paused"}

ses = lt.session({
    "listen_interfaces": "127.0.0.1:%d" % port,
    "enable_dht": False,
    "enable_lsd": False,
    "enable_upnp": False,
    "enable_natpmp": False,
    "enable_incoming_utp": False,
    "enable_outgoing_utp": False,
    # libtorrent refuses a localhost tracker whose path is not exactly /announce unless this is
    # off; a Gazelle announce URL is /<passkey>/announce.
    "ssrf_mitigation": False,
    "alert_mask": lt.alert_category.tracker | lt.alert_category.error | lt.alert_category.status,
})
h = ses.add_torrent({"ti": lt.torrent_info(torrent_path), "save_path": save_dir})


def counters():
    s = h.status()
    return {
        "state": str(s.state),
        "is_seeding": s.is_seeding,
        "total_done": s.total_done,
        "total_payload_download": s.total_payload_download,
        "total_payload_upload": s.total_payload_upload,
        "total_download": s.total_download,
        "total_upload": s.total_upload,
        "total_redundant_bytes": s.total_redundant_bytes,
        "total_failed_bytes": s.total_failed_bytes,
        "all_time_download": s.all_time_download,
        "all_time_upload": s.all_time_upload,
    }


last_event = None


def pump(timeout_ms):
    """Handles the alerts that arrive within timeout_ms; returns the kinds seen."""
    global last_event
    seen = []
    ses.wait_for_alert(timeout_ms)
    for a in ses.pop_alerts():
        if isinstance(a, lt.tracker_announce_alert):
            last_event = EVENTS.get(int(a.event), str(a.event))
            say(ev="announce", event=last_event)
            seen.append("announce")
        elif isinstance(a, lt.tracker_reply_alert):
            say(ev="reply", event=last_event, peers=a.num_peers)
            seen.append("reply")
        elif isinstance(a, lt.tracker_error_alert):
            say(ev="tracker_error", event=last_event, msg=a.message())
            seen.append("reply")
        elif isinstance(a, lt.tracker_warning_alert):
            say(ev="tracker_warning", msg=a.message())
        elif isinstance(a, lt.torrent_finished_alert):
            say(ev="finished", **counters())
        elif isinstance(a, lt.torrent_error_alert) or isinstance(a, lt.file_error_alert):
            say(ev="error", msg=a.message())
    return seen


while not stop.is_set():
    pump(200)

# Pausing a torrent announces `stopped` with the final counters.
h.pause()
deadline = time.monotonic() + 10
stopped_sent = False
answered = False
while time.monotonic() < deadline and not answered:
    for kind in pump(200):
        if kind == "announce" and last_event == "stopped":
            stopped_sent = True
        elif kind == "reply" and stopped_sent:
            answered = True
say(ev="exit", stopped_answered=answered, **counters())
