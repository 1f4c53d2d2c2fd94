"""Where the demo service finds its credentials. Named like the standard library's `secrets` module, which
`python agent_server.py` run from this folder then shadows for every library that imports it."""
import os

HF_TOKEN = os.environ.get("HF_TOKEN", "")
OPENAI_API_KEY = os.environ.get("OPENAI_API_KEY", "")
