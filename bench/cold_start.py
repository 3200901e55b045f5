"""Cold start: how long each Lambda module takes to import in a fresh interpreter, what its first invocation
then costs, and the memory it holds, next to boto3 and the ASK SDK alone.

Two conditions:
- *fresh*: a bare `python -c`, nothing imported before the module.
- *in Lambda*: first the modules that Lambda's Python runtime (awslambdaric's bootstrap) has already imported
  when it imports the handler (json, logging, traceback, decimal, concurrent.futures, ...). Their cost is the
  runtime's, not the function's, so this is what a function's import adds to a real cold start.

Runs take turns module by module, so machine noise falls on all alike. Each child reports its import time,
its resident memory right after the import, the first invocation of each Lambda's handler, its peak resident
memory and what one full garbage collection then costs. First invocations: the skill a LaunchRequest (it needs
no network); the start Lambda a POST /search, which writes the job to S3 and invokes the search Lambda; the
results Lambda the GET the skill sends at the last turn (CarSize, Supplier, Limit=5) for a completed search; the
search Lambda's runs and the lost-search Lambda are imported only (nobody waits for their cold start). Their
AWS is on 127.0.0.1: an embedded S3 (S3_ENDPOINT_URL) holding that search, and a stand-in for Lambda's Invoke
API (AWS_ENDPOINT_URL_LAMBDA) that accepts every async invoke with 202; the child refuses any other address
once imported. `cold_start_s` in latest.json is import plus first invocation, per Lambda.

`skill_stores` weighs the ways of keeping a user's last trip between sessions (docs/persistence.md): the skill as
deployed without a store, and with each of three, for a returning user's LaunchRequest, whose first invocation reads
the kept record ("Welcome back..."): (a) boto3 imported at that first call (bench/skill_stores.py), (b) a SigV4-signed
request with the standard library (lambda_function.py as deployed), (c) a record kept by the search service, over
HTTP to a stand-in for it (bench/skill_stores.py; the service's own cost is its Lambda's, not in the figure). Each
child also times a second invocation: what a warm turn's call costs. S3 is the embedded one, over HTTP on 127.0.0.1:
in AWS each option adds a TLS context (`tls_context_ms`, once per Lambda instance) and the network's round trips.

Memory comes from /proc/self/status: VmRSS after the import, VmHWM (the peak) at the end. Linux carries
ru_maxrss over from the parent across fork and exec, so getrusage in the child would report this (large)
benchmark process's peak instead; ru_maxrss is the fallback where /proc is missing.

Bytecode is cached in a temporary PYTHONPYCACHEPREFIX, filled by an untimed first run, so nothing is written
into the repository; the "no .pyc" figure compiles every module from source, as a deployment package without
__pycache__ does at each cold start. `top_imports` lists, from one `-X importtime` run in Lambda's condition,
the packages whose own modules cost the most to import (self time, so each millisecond is counted once).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from local_stack.envelopes import USER_ID, Device, launch_request

ROOT = Path(__file__).resolve().parent.parent
SKILL = "lambda_function"
MODULES = (
    "",  # a bare interpreter: the floor for memory
    "boto3",
    "ask_sdk_core.skill_builder",
    SKILL,
    "search_service.entry.start",
    "search_service.entry.results",
    "search_service.entry.run",
    "search_service.entry.lost_searches",
    "search_service.entry.callbacks",
)
# What awslambdaric's bootstrap.py and the modules it loads import before the handler's module.
LAMBDA_RUNTIME = "importlib, json, logging, os, sys, time, traceback, decimal, math, datetime, enum, concurrent.futures"
START = "search_service.entry.start"
RESULTS = "search_service.entry.results"
# cold_start_s in latest.json: the Lambdas whose cold start a person waits for.
LAMBDAS = {"start": START, "results": RESULTS, "skill": SKILL}
# The skill's first call: a LaunchRequest as Alexa sends it, which the skill answers without the search API.
LAUNCH = launch_request(Device(api_endpoint="https://api.amazonalexa.com", api_access_token=None))
TRIPS_PREFIX = "results/trips/"
# The ways of keeping a user's last trip (docs/persistence.md): name -> (the skill's module, its environment).
STORES = {
    "none": (SKILL, {}),
    "a_boto3_lazy": ("bench.skill_stores", {"BENCH_STORE": "boto3", "RESULTS_BUCKET": "car-search-results"}),
    "b_sigv4_stdlib": (SKILL, {"RESULTS_BUCKET": "car-search-results"}),
    "c_service_record": ("bench.skill_stores", {"BENCH_STORE": "service"}),
}
USER = "cold-start-user"
CHILD = """
import gc, importlib, json, sys, time

def rss_mb(field):
    import resource
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith(field + ":")) / 1024
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

if sys.argv[2]:
    exec("import " + sys.argv[2])
twice = len(sys.argv) > 4 and sys.argv[4] == "twice"
started = time.perf_counter()
module = importlib.import_module(sys.argv[1]) if sys.argv[1] else None
imported = time.perf_counter()
rss_after_import = rss_mb("VmRSS")
first_ms = None
said = None
if sys.argv[3] != "null":
    from local_stack.offline import stay_offline
    stay_offline("the cold start")
    context = None
    if sys.argv[1].startswith("search_service."):
        from search_service.adapters.local_context import LocalLambdaContext
        context = LocalLambdaContext(sys.argv[1].rsplit(".", 1)[-1])
    event = json.loads(sys.argv[3])
    called = time.perf_counter()
    response = module.lambda_handler(event, context)
    first_ms = (time.perf_counter() - called) * 1000
    if twice:
        called = time.perf_counter()
        module.lambda_handler(event, context)
        second_ms = (time.perf_counter() - called) * 1000
    if "statusCode" in response:
        assert response["statusCode"] in (200, 202), response
    else:
        said = response["response"]["outputSpeech"]["ssml"]
        assert said, response
gc.collect()
collect_started = time.perf_counter()
gc.collect()
print(json.dumps({
    "import_ms": (imported - started) * 1000,
    "first_invocation_ms": first_ms,
    "second_invocation_ms": second_ms if twice else None,
    "said": said,
    "rss_after_import_mb": rss_after_import,
    "rss_mb": rss_mb("VmHWM"),
    "full_gc_ms": (time.perf_counter() - collect_started) * 1000,
    "gc_objects": len(gc.get_objects()),
}))
"""


def run(repeat: int = 11, repeat_no_pyc: int = 3) -> dict[str, Any]:
    runs: dict[str, list[dict[str, Any]]] = defaultdict(list)
    in_lambda: dict[str, list[float]] = defaultdict(list)
    no_pyc: dict[str, list[float]] = defaultdict(list)
    stores: dict[str, list[dict[str, Any]]] = defaultdict(list)
    with local_aws() as (env, events), tempfile.TemporaryDirectory(prefix="bench-pyc-") as cached:
        for module in MODULES:
            _child(module, cached, env, events, write=True)  # compiles and caches, untimed
        for module, extra in STORES.values():
            _child(module, cached, env | extra, {module: LAUNCH}, write=True)
        for _ in range(repeat):
            for module in MODULES:
                runs[module].append(_child(module, cached, env, events))
                in_lambda[module].append(_child(module, cached, env, {}, preload=LAMBDA_RUNTIME)["import_ms"])
            for name, (module, extra) in STORES.items():
                found = _child(module, cached, env | extra, {module: LAUNCH}, preload=LAMBDA_RUNTIME, twice=True)
                if ("Welcome back" in found["said"]) is (name == "none"):  # a store that read nothing measured nothing
                    raise RuntimeError(f"the skill with the store {name} said {found['said']!r}")
                stores[name].append(found)
        for _ in range(repeat_no_pyc):
            for module in MODULES:
                with tempfile.TemporaryDirectory(prefix="bench-nopyc-") as empty:
                    no_pyc[module].append(_child(module, empty, env, {})["import_ms"])
        top = {module: _top_imports(module, cached) for module in MODULES if module and module != "boto3"}
    results = {}
    for module in MODULES:
        first = [r["first_invocation_ms"] for r in runs[module] if r["first_invocation_ms"] is not None]
        results[module or "(bare interpreter)"] = {
            "import_ms_p50": _p50(r["import_ms"] for r in runs[module]),
            "import_in_lambda_ms_p50": _p50(in_lambda[module]),
            "first_invocation_ms_p50": _p50(first) if first else None,
            # import and first invocation of the same child, then the median: what a cold start costs the function
            "cold_start_ms_p50": _p50(r["import_ms"] + r["first_invocation_ms"] for r in runs[module])
            if first
            else None,
            "import_no_pyc_ms_p50": _p50(no_pyc[module]),
            "rss_after_import_mb_p50": _p50(r["rss_after_import_mb"] for r in runs[module]),
            "rss_mb_p50": _p50(r["rss_mb"] for r in runs[module]),
            "full_gc_ms_p50": _p50(r["full_gc_ms"] for r in runs[module]),
            "gc_objects": runs[module][-1]["gc_objects"],
            "top_imports_ms": top.get(module, {}),
            "runs": repeat,
        }
    results["skill_stores"] = {name: _store_figures(found) for name, found in stores.items()}
    results["skill_stores"]["tls_context_ms"] = _tls_context_ms(repeat)
    sdk = results["ask_sdk_core.skill_builder"]
    skill = results[SKILL]
    results["skill_vs_ask_sdk"] = {
        "fresh": round(skill["import_ms_p50"] / sdk["import_ms_p50"], 2),
        "in_lambda": round(skill["import_in_lambda_ms_p50"] / sdk["import_in_lambda_ms_p50"], 2),
        "budget": 1.5,
    }
    return results


def _store_figures(runs: list[dict[str, Any]]) -> dict[str, float]:
    """Medians of a returning user's LaunchRequest to a skill with that store, in Lambda's condition: the import, the
    first invocation (which reads the kept record), both together, and a second invocation (a warm read)."""
    return {
        "import_ms_p50": _p50(r["import_ms"] for r in runs),
        "first_invocation_ms_p50": _p50(r["first_invocation_ms"] for r in runs),
        "cold_start_ms_p50": _p50(r["import_ms"] + r["first_invocation_ms"] for r in runs),
        "second_invocation_ms_p50": _p50(r["second_invocation_ms"] for r in runs),
        "rss_mb_p50": _p50(r["rss_mb"] for r in runs),
    }


def _tls_context_ms(repeat: int) -> float:
    """What an HTTPS connection adds to a fresh Lambda instance beside the import of ssl (which http.client does,
    so every option pays it): ssl.create_default_context(), which loads the CA certificates."""
    code = "import http.client, ssl, time; t = time.perf_counter(); ssl.create_default_context(); "
    code += "print((time.perf_counter() - t) * 1000)"
    return _p50(float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
                for _ in range(repeat))  # fmt: skip


def _p50(values: Any) -> float:
    return round(statistics.median(values), 1)


def cold_start_s(results: dict[str, Any]) -> dict[str, float | None]:
    """Import plus first invocation, median, in seconds, per Lambda: latest.json's `cold_start_s`."""
    return {
        name: (None if (ms := results[module]["cold_start_ms_p50"]) is None else round(ms / 1000, 3))
        for name, module in LAMBDAS.items()
    }


@contextlib.contextmanager
def local_aws() -> Iterator[tuple[dict[str, str], dict[str, Any]]]:
    """An embedded S3 holding one completed search, and a stand-in for Lambda's Invoke API, on 127.0.0.1: the
    children's environment to reach them, and the first event of each Lambda."""
    from bench.harness import DeferredLauncher, expect, trip
    from local_stack.http_server import JsonHandler, LocalServer
    from local_stack.s3 import EmbeddedS3, s3_client
    from search_service.adapters.clock import SystemClock
    from search_service.adapters.local_context import LocalLambdaContext
    from search_service.adapters.s3_cache import S3ResultCache
    from search_service.api.gateway import rest_event
    from search_service.config import Settings
    from search_service.domain.cities import CityCatalog
    from search_service.entry import start
    from search_service.providers.simulated import simulated_providers
    from search_service.wiring import Services, run_search

    class Invoke(JsonHandler):
        """Lambda's Invoke API, InvocationType=Event: accepted."""

        def do_POST(self) -> None:
            self.read_body()
            self.respond(202, b"")

    s3 = EmbeddedS3()
    invoke = LocalServer(Invoke, 0)
    service: LocalServer | None = None
    try:
        url = s3.start()
        invoke.start()
        settings = Settings(s3_endpoint_url=url)
        client = s3_client(url, settings)
        client.create_bucket(Bucket=settings.results_bucket)
        catalog = CityCatalog()
        services = Services(
            settings,
            catalog,
            S3ResultCache(client, settings.results_bucket, settings.results_prefix),
            simulated_providers(catalog, 0.0),
            SystemClock(),
        )
        launcher = DeferredLauncher()
        pickup, dropoff = trip(20)
        body = {"city": "New York", "pickupDate": pickup, "returnDate": dropoff, "user": USER}
        started = expect(start.build_handler(services, launcher)(rest_event("POST", body=body),
                                                                        LocalLambdaContext("start")), 202)  # fmt: skip
        run_search(services)(launcher.launched[-1])
        token = json.loads(started["body"])["token"]
        query = {"token": token, "User": USER, "CarSize": "compact", "Supplier": "enterprise", "Limit": "5"}
        events = {SKILL: LAUNCH, START: rest_event("POST", body=body), RESULTS: rest_event("GET", query=query)}
        record = _kept_trip(pickup, dropoff)
        client.put_object(Bucket=settings.results_bucket, Key=TRIPS_PREFIX + _user_key(), Body=record)
        service = LocalServer(_record_service(record), 0)
        service.start()
        env = {"S3_ENDPOINT_URL": url, "AWS_ENDPOINT_URL_LAMBDA": f"http://127.0.0.1:{invoke.port}",
               "AWS_ENDPOINT_URL_S3": url, "BENCH_SERVICE_URL": f"http://127.0.0.1:{service.port}/beta"}  # fmt: skip
        yield env, events
    finally:
        invoke.stop()
        if service is not None:
            service.stop()
        s3.stop()


def _user_key() -> str:
    """The name of the LaunchRequest's user's record (skill.trip_store.S3PersistenceAdapter.key)."""
    return hashlib.sha256(f"car-search-trip|{USER_ID}".encode()).hexdigest() + ".json"


def _kept_trip(pickup: str, dropoff: str) -> bytes:
    """A returning user's record: a trip to New York searched a minute ago, left at the size question."""
    saved = (datetime.now(UTC) - timedelta(minutes=1)).isoformat(timespec="seconds").replace("+00:00", "Z")
    trip = {"city": "New York, NY", "pickup_value": pickup, "return_value": dropoff, "token": "t" * 32,
            "searched": f"New York, NY|{pickup}|{dropoff}", "asked": "carSize"}  # fmt: skip
    return json.dumps({"version": 1, "savedAt": saved, "attributes": {"trip": trip}}).encode()


def _record_service(record: bytes) -> type:
    """A stand-in for a search service that keeps the record (option c): GET answers it, PUT and DELETE 204."""
    from local_stack.http_server import JsonHandler

    class Records(JsonHandler):
        def do_GET(self) -> None:
            self.respond(200, record)

        def do_PUT(self) -> None:
            self.read_body()
            self.respond(204, b"")

        do_DELETE = do_PUT

    return Records


def _env(pycache: str, write: bool, extra: dict[str, str]) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env.update(extra)
    env["PYTHONPYCACHEPREFIX"] = pycache
    env["PYTHONPATH"] = os.pathsep.join((str(ROOT / "lambda"), str(ROOT)))
    if not write:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _child(
    module: str,
    pycache: str,
    env: dict[str, str],
    events: dict[str, Any],
    write: bool = False,
    preload: str = "",
    twice: bool = False,
) -> dict[str, Any]:
    """One fresh interpreter; the first invocation only with the module's event in `events`, and a second with
    `twice`."""
    done = subprocess.run(
        [sys.executable, "-c", CHILD, module, preload, json.dumps(events.get(module)), "twice" if twice else ""],
        cwd=ROOT,
        env=_env(pycache, write, env),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"importing {module or 'nothing'} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _top_imports(module: str, pycache: str, count: int = 5) -> dict[str, float]:
    """Self time per top-level package, for what the module adds to the Lambda runtime's own imports."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {LAMBDA_RUNTIME}\nimport {module}"],
        cwd=ROOT,
        env=_env(pycache, write=False, extra={}),
        capture_output=True,
        text=True,
        check=True,
    )
    lines = [line for line in done.stderr.splitlines() if line.startswith("import time:") and "|" in line]
    runtime_done = max(i for i, line in enumerate(lines) if line.split("|")[2].strip() == "concurrent.futures")
    per_package: dict[str, float] = defaultdict(float)
    for line in lines[runtime_done + 1 :]:
        self_us, _, name = line[len("import time:") :].split("|")
        per_package[name.strip().split(".")[0]] += int(self_us) / 1000
    ranked = sorted(per_package.items(), key=lambda item: -item[1])[:count]
    return {name: round(ms, 1) for name, ms in ranked}
