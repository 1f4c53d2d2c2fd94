"""Makes the two demo models that README's first command scans, with the real producer (torch.save).

Run with Debian's interpreter: /usr/bin/python3 examples/generate_demo.py
The malicious model only runs `echo pwned` when loaded; mlsec never loads it.
"""
import os
from pathlib import Path

import torch

DEMO = Path(__file__).resolve().parent / "demo"


class EchoPayload:
    """Pickles as a call to os.system: what an attacker hides in a model file."""

    def __reduce__(self):
        return (os.system, ("echo pwned",))


def main() -> None:
    torch.manual_seed(0)
    DEMO.mkdir(exist_ok=True)
    layer = torch.nn.Linear(4, 2)
    torch.save(layer.state_dict(), DEMO / "clean_model.pt")
    torch.save({"state_dict": layer.state_dict(), "hook": EchoPayload()}, DEMO / "malicious_model.pt")


if __name__ == "__main__":
    main()
