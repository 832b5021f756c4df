"""Checks what the container image is built from, since no Docker engine runs here to build it:

* `requirements.lock` pins every runtime dependency of pyproject.toml and everything those
  need (the exact versions of this project's virtual environment), each within pyproject's
  own pins;
* the Dockerfile installs torch from PyTorch's CPU wheel index (the PyPI wheel for Linux pulls
  several GB of CUDA libraries), installs nothing else unpinned, and runs as a non-root user.

    python -m tests.tools.container_build          # check (`make lint`); exit 1 on a problem
    python -m tests.tools.container_build --write  # write requirements.lock from this venv
"""

from __future__ import annotations

import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = ROOT / "pyproject.toml"
LOCK = ROOT / "requirements.lock"
DOCKERFILE = ROOT / "Dockerfile"
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
_LOCK_HEADER = ("# Every runtime dependency of knowport, pinned: what the Dockerfile installs.\n"
                "# Written by `python -m tests.tools.container_build --write` from the venv;\n"
                "# `make lint` checks it still covers pyproject.toml. torch is the CPU build.\n")


# --- the lock -----------------------------------------------------------------------------
def runtime_requirements(pyproject_text: str) -> list[Requirement]:
    return [Requirement(line) for line in
            tomllib.loads(pyproject_text)["project"]["dependencies"]]


def build_requirements(pyproject_text: str) -> list[Requirement]:
    """What building the project needs, as the image builds it (`--no-build-isolation`, from
    the lock). `wheel` is left out: setuptools builds wheels itself since 70.1."""
    requires = tomllib.loads(pyproject_text)["build-system"]["requires"]
    return [r for r in map(Requirement, requires) if canonicalize_name(r.name) != "wheel"]


def _applies(requirement: Requirement, extras: set[str]) -> bool:
    """Whether `requirement` is needed here (Linux, this Python) with those extras asked for."""
    if requirement.marker is None:
        return True
    return any(requirement.marker.evaluate({"extra": extra}) for extra in extras | {""})


def installed_closure(requirements: list[Requirement]) -> dict[str, str]:
    """name -> installed version of `requirements` and all they need, from the venv."""
    pins: dict[str, str] = {}
    todo = [(r, set(r.extras)) for r in requirements if _applies(r, set())]
    while todo:
        requirement, extras = todo.pop()
        name = canonicalize_name(requirement.name)
        if name in pins and not extras:
            continue
        distribution = metadata.distribution(name)
        pins[name] = distribution.version
        for line in distribution.requires or ():
            needed = Requirement(line)
            if _applies(needed, extras):
                todo.append((needed, set(needed.extras)))
    return pins


def parse_lock(text: str) -> dict[str, str]:
    pins = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins[canonicalize_name(name)] = version.strip()
    return pins


def lock_text(pins: dict[str, str]) -> str:
    return _LOCK_HEADER + "".join(f"{name}=={pins[name]}\n" for name in sorted(pins))


def lock_problems(pyproject_text: str, lock: dict[str, str]) -> list[str]:
    """What the lock misses: a dependency of pyproject.toml, a version outside its pin, or a
    package that a locked package needs (as installed here at the locked version)."""
    problems = []
    for requirement in runtime_requirements(pyproject_text) + build_requirements(pyproject_text):
        name = canonicalize_name(requirement.name)
        if name not in lock:
            problems.append(f"requirements.lock misses {requirement.name} (pyproject.toml)")
        elif not requirement.specifier.contains(Version(lock[name]), prereleases=True):
            problems.append(f"requirements.lock has {name}=={lock[name]}, pyproject.toml "
                            f"wants {requirement.specifier}")
    for name, version in sorted(lock.items()):
        try:
            distribution = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # not installed here: nothing to read its needs from
        if distribution.version != version:
            continue
        for line in distribution.requires or ():
            needed = Requirement(line)
            if _applies(needed, set()) and canonicalize_name(needed.name) not in lock:
                problems.append(f"requirements.lock misses {needed.name}, which {name} needs")
    return problems


# --- the Dockerfile -----------------------------------------------------------------------
def instructions(dockerfile_text: str) -> list[tuple[str, str]]:
    """(KEYWORD, arguments) per instruction, continuation lines joined, comments dropped."""
    logical, current = [], ""
    for line in dockerfile_text.splitlines():
        if line.lstrip().startswith("#"):
            continue
        current += line.rstrip()
        if current.endswith("\\"):
            current = current[:-1] + " "
            continue
        if current.strip():
            logical.append(current.strip())
        current = ""
    if current.strip():
        logical.append(current.strip())
    return [(keyword.upper(), rest.strip()) for keyword, _, rest in
            (line.partition(" ") for line in logical)]


def _pip_installs(run: str) -> list[str]:
    return [f"pip install{part}" for part in re.split(r"pip3? install", run)[1:]]


def dockerfile_problems(dockerfile_text: str, lock: dict[str, str]) -> list[str]:
    """A torch that is not the CPU build of the locked version, an install that is neither the
    lock nor `--no-deps`, and a missing or root USER."""
    steps = instructions(dockerfile_text)
    installs = [i.split("&&")[0].split(";")[0] for keyword, run in steps if keyword == "RUN"
                for i in _pip_installs(run)]
    problems = []
    torch = [i for i in installs if re.search(r"\btorch\b", i)]
    torch_pin = f"torch=={lock.get('torch', '?')}"
    if not any(f"--index-url {TORCH_CPU_INDEX}" in i and torch_pin in i.split() for i in torch):
        problems.append(f"Dockerfile does not install {torch_pin} from {TORCH_CPU_INDEX} "
                        "(`pip install --index-url ... torch==<the locked version>`)")
    if any("--extra-index-url" in i for i in installs):
        problems.append("Dockerfile uses --extra-index-url: a package could come from either "
                        "index; install torch alone with --index-url")
    for install in installs:
        if install not in torch and "-r requirements.lock" not in install \
                and "--no-deps" not in install:
            problems.append(f"Dockerfile installs unpinned: `{install.strip()}` "
                            "(use -r requirements.lock, or --no-deps for the project itself)")
    users = [args.split()[0] for keyword, args in steps if keyword == "USER" and args.split()]
    if not users:
        problems.append("Dockerfile sets no USER: the server would run as root")
    elif users[-1].split(":")[0] in ("root", "0"):
        problems.append(f"Dockerfile's last USER is {users[-1]}: the server would run as root")
    return problems


def problems() -> list[str]:
    lock = parse_lock(LOCK.read_text()) if LOCK.exists() else {}
    if not lock:
        return ["requirements.lock is missing: python -m tests.tools.container_build --write"]
    return (lock_problems(PYPROJECT.read_text(), lock)
            + dockerfile_problems(DOCKERFILE.read_text(), lock))


def main(argv: list[str]) -> int:
    if argv == ["--write"]:
        text = PYPROJECT.read_text()
        pins = installed_closure(runtime_requirements(text) + build_requirements(text))
        LOCK.write_text(lock_text(pins))
        print(f"wrote {LOCK.name}: {len(pins)} packages")
        return 0
    found = problems()
    for problem in found:
        print(problem)
    if not found:
        print("container build: requirements.lock covers pyproject.toml; the Dockerfile "
              "installs the CPU torch and runs as a non-root user")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
