"""Importing the channel interface loads no transport; no channel loads a heavy library."""

import subprocess
import sys

PROBE = """
import sys
import regulars.channels
light = {name for name in ("httpx", "pika", "standardwebhooks", "smtplib") if name in sys.modules}
import regulars.channels.webhook, regulars.channels.email, regulars.channels.sms
import regulars.channels.broker
heavy = {name for name in ("pandas", "numpy", "scipy", "sqlalchemy") if name in sys.modules}
print(sorted(light), sorted(heavy))
"""


def test_the_interface_is_light_and_the_channels_carry_no_heavy_imports() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[] []"
