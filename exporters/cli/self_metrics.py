"""The CLI exporter's own series: did the session and each command work, how long did each
command take, and what went wrong, by kind.

* ``netmon_cli_up{device}``: 1 when a session was established this run;
* ``netmon_cli_command_success{device,command}``: 1 when the command ran, was not refused and
  every table on it parsed; 0 for every command of a run whose login failed;
* ``netmon_cli_command_duration_seconds{device,command}``: for the commands that ran;
* ``netmon_cli_unparsable_values{device,command}``: field texts this run that were neither
  mapped nor numbers (no sample was made of them);
* ``netmon_cli_errors_total{device,command,kind}``: failures since the exporter was made, by
  kind (:data:`exporters.cli.errors.KINDS`). A login failure counts once, with
  ``command=""``; a series appears at its first failure, so alert on
  ``netmon_cli_up == 0`` or ``netmon_cli_command_success == 0`` and read the kind here.
"""

from __future__ import annotations

from collections.abc import Mapping

from prometheus_client import Metric

from exporters.cli.run import DeviceRun

__all__ = ["cli_families"]


def cli_families(device: str, run: DeviceRun,
                 errors: Mapping[tuple[str, str], int]) -> list[Metric]:
    """The exporter's own families for one run; ``errors`` maps (command, kind) to counts."""
    up = Metric("netmon_cli_up", "Whether an SSH session to the device was established in "
                "the last run (1) or not (0).", "gauge")
    up.add_sample(up.name, {"device": device}, 1.0 if run.connected else 0.0)
    success = Metric("netmon_cli_command_success", "Whether the command ran and its output "
                     "was parsed in the last run (1) or not (0).", "gauge")
    duration = Metric("netmon_cli_command_duration_seconds",
                      "How long the command took in the last run.", "gauge")
    unparsable = Metric("netmon_cli_unparsable_values", "Values of the command's output in "
                        "the last run that were neither mapped nor numbers.", "gauge")
    for result in run.commands:
        labels = {"device": device, "command": result.command}
        success.add_sample(success.name, labels, 1.0 if result.success else 0.0)
        if result.duration is not None:
            duration.add_sample(duration.name, labels, result.duration)
        if result.duration is not None and not result.errors:
            unparsable.add_sample(unparsable.name, labels, float(result.unparsable))
    total = Metric("netmon_cli_errors_total", "Failures talking to the device since netmon "
                   "started, by command and kind.", "counter")
    for (command, kind), count in sorted(errors.items()):
        total.add_sample(total.name, {"device": device, "command": command, "kind": kind},
                         float(count))
    return [up, success, duration, unparsable, total]
