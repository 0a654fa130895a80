"""gunicorn settings for the `web` process of the Procfile (production)."""

import multiprocessing
import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
# One process per core, each with eight threads, of which two at a time work out an answer
# (WEB_REQUESTS_AT_ONCE, agents/request_turns.py). Rendering pages is CPU work under Python's
# GIL: eight requests worked out at once each cost more CPU, and at 200 users the site served
# fewer pages (README, Performance). The threads are for what waits: a CSV export streamed to a
# slow client holds its thread for as long as the client takes to read it, and with one thread
# a process three slow readers would hold every process and nobody else would get a page
# (bench/slow_clients_bench.py: other users' p95 with three readers at 1 kB/s). Eight threads
# leave a process room for other users even if every one of a user's three exports lands on it.
# The worker is gunicorn's threaded one, except that a process takes a new connection only
# while one of its turns is free, so a request goes to the process that can start on it.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
worker_class = "dashboard.gunicorn_worker.TurnTakingWorker"
timeout = 60
graceful_timeout = 30
# A kept-alive connection stays with the process that accepted it, so a few busy clients can
# queue on one process while the other idles, which hurts most when a page is slow (a slow
# page measured p95 1.2-1.4 s with 5 s, 610 ms with 0 in `make loadtest` on PostgreSQL; quick
# pages show no difference beyond the runs' spread). Behind a proxy, which opens a connection
# per request anyway, 0 costs nothing.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "0"))
# Recycle a worker now and then so a slow leak cannot grow without bound.
max_requests = 2000
max_requests_jitter = 200
# gunicorn bounds the request line and headers (its defaults, stated so they are not lost) but
# not the body: Django's RequestBodyLimitMiddleware refuses a body over 1 MB before reading it.
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190
accesslog = "-"
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def post_worker_init(worker):
    """What a worker loaded to start (Django, the app, the libraries) lives as long as it
    does: frozen out of the garbage collector's sight, so its full collections walk only what
    requests make (about 5 % of a directory request's CPU at 10,000 agents; README,
    Performance). `manage.py sync_agents` does the same."""
    import gc

    gc.freeze()
