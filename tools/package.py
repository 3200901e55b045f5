"""Build the Lambda deployment artifacts: one zip for the search service's four Lambdas, one for the skill's.

    python -m tools.package                      # build/search-service.zip and build/skill.zip, with dependencies
    python -m tools.package --no-deps            # our code only: no network (the tests)
    python -m tools.package --out DIR            # somewhere else than build/
    python -m tools.package --python PYTHON      # the Python 3.12 that precompiles the .pyc

Each artifact is first a folder (build/<name>/, what Lambda unpacks into /var/task), then a zip of it. It holds
our code (its .py files and the data it reads, never tests/, local_stack/, bench/ or tools/), the wheels of its
requirements.txt for the Lambda platform (python3.12 on arm64) minus what the runtime already has, and .pyc
compiled by a Python 3.12 so that no cold start compiles. The zip is reproducible: entries sorted, fixed times
and modes, so the same folder always gives the same bytes. build/packages.json records each artifact's figures.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
RUNTIME_VERSION = "3.12"
PLATFORM = "manylinux2014_aarch64"
TASK_ROOT = "/var/task"  # where Lambda unpacks the zip
# The python3.12 runtime ships its own AWS SDK; a bundled copy would only shadow it, and weigh 30 MB.
RUNTIME_PROVIDED = frozenset({"boto3", "botocore", "s3transfer"})
# The marker variables of the Lambda platform, to follow only the dependencies pip installed for it.
TARGET_MARKERS = {
    "python_version": RUNTIME_VERSION,
    "python_full_version": f"{RUNTIME_VERSION}.0",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "platform_machine": "aarch64",
    "os_name": "posix",
}
ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest a zip can say: any fixed time makes builds reproducible
LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024


@dataclass(frozen=True)
class Artifact:
    name: str
    source: Path  # the folder whose layout becomes the artifact's root
    include: tuple[str, ...]  # globs under `source`: the code and the data files it reads at runtime
    requirements: Path
    handlers: tuple[str, ...]  # the modules whose `lambda_handler` the Lambdas run


SEARCH_SERVICE = Artifact(
    name="search-service",
    source=ROOT,
    include=("search_service/**/*.py",),  # no data files: the package reads none at runtime
    requirements=ROOT / "search_service" / "requirements.txt",
    handlers=(
        "search_service.entry.start",
        "search_service.entry.results",
        "search_service.entry.run",
        "search_service.entry.lost_searches",
        "search_service.entry.callbacks",
        "search_service.entry.websocket",
        "search_service.entry.ws_authorizer",
    ),
)
SKILL = Artifact(
    name="skill",
    source=ROOT / "lambda",
    include=("lambda_function.py", "skill/**/*.py", "skill/strings/*.json"),  # skill.strings reads the JSON
    requirements=ROOT / "lambda" / "requirements.txt",
    handlers=("lambda_function",),
)
ARTIFACTS = (SEARCH_SERVICE, SKILL)


def build_search_service(out: Path, *, deps: bool = True, python: str | None = None) -> Path:
    return build(SEARCH_SERVICE, out, deps=deps, python=python)


def build_skill(out: Path, *, deps: bool = True, python: str | None = None) -> Path:
    return build(SKILL, out, deps=deps, python=python)


def build(artifact: Artifact, out: Path, *, deps: bool = True, python: str | None = None) -> Path:
    """Build `out/<name>/` and zip it to `out/<name>.zip`; return the folder. `python`: a Python 3.12 to
    compile the .pyc with, found on this machine when None; without one the artifact ships sources only."""
    compiler = find_python(python)  # before pip, so a wrong --python fails at once
    folder = out.resolve() / artifact.name
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    if deps:
        install_requirements(artifact.requirements, folder)
        dropped = strip_dependencies(folder, artifact.requirements)
        if dropped:
            print(f"{artifact.name}: left out {', '.join(dropped)}: the Lambda runtime provides them")
    copy_code(artifact, folder)
    if compiler:
        compile_pyc(folder, compiler)
    else:
        print(
            f"warning: {artifact.name}: no Python {RUNTIME_VERSION} found (--python, python{RUNTIME_VERSION} on PATH"
            f" or ~/.pyenv/versions/{RUNTIME_VERSION}*): shipping sources only, so every cold start compiles"
            " the modules it imports",
            file=sys.stderr,
        )
    zip_folder(folder, zip_path(folder))
    return folder


def zip_path(folder: Path) -> Path:
    return folder.with_name(f"{folder.name}.zip")


def install_requirements(requirements: Path, folder: Path) -> None:
    """The wheels for the Lambda platform, whatever this machine is. --no-compile: pip would compile with
    this Python, whose .pyc the 3.12 runtime ignores. --no-warn-conflicts: pip compares the folder with
    this virtualenv's packages, which have nothing to do with the artifact."""
    subprocess.run(
        [
            sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
            "--no-compile", "--no-warn-conflicts", "--target", str(folder),
            "--platform", PLATFORM, "--implementation", "cp", "--python-version", RUNTIME_VERSION,
            "--only-binary=:all:", "-r", str(requirements),
        ],
        check=True,
    )  # fmt: skip


def strip_dependencies(folder: Path, requirements: Path) -> list[str]:
    """Remove what never runs in Lambda from the installed dependencies; return the distributions left out.

    Left out: the runtime's own SDK and what only it needs (botocore brings urllib3, python-dateutil and six,
    which the runtime has beside it), console scripts (bin/), type stubs (*.pyi, *-stubs), stray __pycache__.
    Kept: everything a kept distribution installed, test folders included: they weigh little, and a package
    may import them.
    """
    distributions = importlib.metadata.distributions(path=[str(folder)])
    installed: dict[str, importlib.metadata.Distribution] = {
        canonicalize_name(d.metadata["Name"]): d for d in distributions
    }
    needed = needed_distributions(installed, parse_requirements(requirements.read_text().splitlines()))
    dropped = sorted(set(installed) - needed)
    for name in dropped:
        _remove_distribution(folder, installed[name])
    for path in sorted(folder.rglob("*"), reverse=True):  # children before their parents
        junk = path.name == "__pycache__" or path.name.endswith("-stubs") or path.suffix == ".pyi"
        if path.exists() and (junk or path == folder / "bin"):
            _remove(path)
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    return dropped


def parse_requirements(lines: Iterable[str]) -> list[Requirement]:
    """The requirements of a requirements.txt: comments and pip options left aside."""
    specs = (re.sub(r"(^|\s)#.*", "", line).strip() for line in lines)
    return [Requirement(spec) for spec in specs if spec and not spec.startswith("-")]


def needed_distributions(installed: dict[str, Any], roots: Iterable[Requirement]) -> set[str]:
    """The installed distributions the requirements reach without going through one the runtime provides."""
    needed: set[str] = set()
    seen: set[tuple[str, str]] = set()
    todo = list(roots)
    while todo:
        requirement = todo.pop()
        name = canonicalize_name(requirement.name)
        if name in RUNTIME_PROVIDED or name not in installed:
            continue
        needed.add(name)
        for extra in ("", *sorted(requirement.extras)):
            if (name, extra) in seen:
                continue
            seen.add((name, extra))
            for spec in installed[name].requires or ():
                dependency = Requirement(spec)
                if dependency.marker is None or dependency.marker.evaluate({**TARGET_MARKERS, "extra": extra}):
                    todo.append(dependency)
    return needed


def _remove_distribution(folder: Path, distribution: importlib.metadata.Distribution) -> None:
    root = folder.resolve()
    paths = [Path(str(distribution.locate_file(file))).resolve() for file in distribution.files or ()]
    for path in paths:
        if path.is_relative_to(root) and path.is_file():  # RECORD also lists scripts as ../../bin/...
            path.unlink()
    for info in {path.parent for path in paths if path.parent.name.endswith(".dist-info")}:
        shutil.rmtree(info, ignore_errors=True)  # with what pip wrote there beyond RECORD


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink()


def copy_code(artifact: Artifact, folder: Path) -> None:
    for pattern in artifact.include:
        sources = [path for path in sorted(artifact.source.glob(pattern)) if "__pycache__" not in path.parts]
        if not sources:
            raise FileNotFoundError(f"{artifact.name}: nothing matches {pattern} in {artifact.source}")
        for source in sources:
            target = folder / source.relative_to(artifact.source)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)


def find_python(python: str | None = None) -> str | None:
    """The given interpreter, which must be a Python 3.12, or one found on this machine, or None."""
    if python is None:
        return _default_python()
    if _version(python) != RUNTIME_VERSION:
        raise ValueError(f"{python} is not a Python {RUNTIME_VERSION}: its .pyc would be ignored by the runtime")
    return shutil.which(python) or python


@functools.cache
def _default_python() -> str | None:
    pyenv = Path.home().glob(f".pyenv/versions/{RUNTIME_VERSION}*/bin/python{RUNTIME_VERSION}")
    newest_first = sorted(pyenv, key=lambda path: [int(n) for n in re.findall(r"\d+", path.parts[-3])], reverse=True)
    # A pyenv shim on PATH exists even where it refuses to run, hence the check of each candidate.
    for candidate in [shutil.which(f"python{RUNTIME_VERSION}"), *map(str, newest_first)]:
        if candidate and _version(candidate) == RUNTIME_VERSION:
            return candidate
    return None


def _version(python: str) -> str | None:
    try:
        result = subprocess.run(
            [python, "-c", "import sys; print(*sys.version_info[:2], sep='.')"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except OSError:
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def compile_pyc(folder: Path, python: str) -> None:
    """Precompile every module: /var/task is read-only, so a missing .pyc means compiling on every cold start.

    unchecked-hash: the .pyc is used without looking at the source. The default (timestamp) mode compares the
    source's mtime with the one recorded at build time, and Lambda does not promise to keep mtimes (the zip
    holds a fixed 1980 time anyway): a mismatch means compiling in memory on each cold start, silently.
    checked-hash would read and hash every source at each import. Nothing can change a source beside its .pyc
    in /var/task, and each build compiles afresh, so there is nothing to check. The recorded path is
    /var/task/..., not this machine's, and a fixed hash seed keeps set constants in one order: same source,
    same bytes. The SyntaxWarnings of dependencies (invalid escapes in ask_sdk_model's docstrings) are theirs;
    with the .pyc shipped, Lambda never compiles those files, so never logs them either.
    """
    subprocess.run(
        [
            python, "-W", "ignore::SyntaxWarning", "-m", "compileall", "-q", "-j", "0",
            "--invalidation-mode", "unchecked-hash",
            "-s", str(folder), "-p", TASK_ROOT, str(folder),
        ],
        check=True,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )  # fmt: skip


def zip_folder(folder: Path, target: Path) -> None:
    """Zip `folder` reproducibly: entries sorted by name, a fixed time, modes 0o644 for files, 0o755 for folders."""
    entries = sorted(
        (f"{path.relative_to(folder).as_posix()}{'/' if path.is_dir() else ''}", path) for path in folder.rglob("*")
    )
    with zipfile.ZipFile(target, "w") as archive:
        for name, path in entries:
            info = zipfile.ZipInfo(name, ZIP_TIME)
            info.create_system = 3  # Unix, so that unzip applies the modes
            if path.is_dir():
                info.external_attr = (0o40755 << 16) | 0x10  # the Unix mode, and MS-DOS's directory flag
                archive.writestr(info, b"")
            else:
                info.external_attr = 0o100644 << 16
                archive.writestr(info, path.read_bytes(), zipfile.ZIP_DEFLATED, compresslevel=9)


def summary(artifact: Artifact, folder: Path) -> dict[str, Any]:
    files = [path for path in folder.rglob("*") if path.is_file()]
    archive = zip_path(folder)
    return {
        "zip": archive.name,
        "handlers": [f"{module}.lambda_handler" for module in artifact.handlers],
        "files": len(files),
        "unzipped_bytes": sum(path.stat().st_size for path in files),
        "zip_bytes": archive.stat().st_size,
        "sha256": hashlib.sha256(archive.read_bytes()).hexdigest(),
        "pyc": any(path.suffix == ".pyc" for path in files),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.package", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build", help="where to build (default: build/)")
    parser.add_argument("--no-deps", action="store_true", help="our code only, no pip install (no network)")
    parser.add_argument("--python", help=f"a Python {RUNTIME_VERSION} to compile the .pyc with (default: found)")
    args = parser.parse_args(argv)

    started = time.monotonic()
    try:
        built = {a.name: summary(a, build(a, args.out, deps=not args.no_deps, python=args.python)) for a in ARTIFACTS}
    except (ValueError, FileNotFoundError, subprocess.CalledProcessError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    (args.out / "packages.json").write_text(json.dumps(built, indent=2, sort_keys=True) + "\n")

    print(f"\n{'artifact':<16}{'files':>7}{'unzipped MB':>13}{'zip MB':>8}  .pyc")
    for name, figures in built.items():
        unzipped, zipped = figures["unzipped_bytes"] / 1e6, figures["zip_bytes"] / 1e6
        pyc = "yes" if figures["pyc"] else "no"
        print(f"{name:<16}{figures['files']:>7}{unzipped:>13.1f}{zipped:>8.1f}  {pyc}")
    print(f"built in {time.monotonic() - started:.1f} s: {args.out}/{{{','.join(built)}}}.zip, packages.json")

    too_big = [name for name, figures in built.items() if figures["unzipped_bytes"] > LAMBDA_UNZIPPED_LIMIT]
    if too_big:
        print(f"error: over Lambda's 250 MB unzipped limit: {', '.join(too_big)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
