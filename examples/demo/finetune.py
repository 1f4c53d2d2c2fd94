"""Fine-tunes a chat model on a local dataset: the kind of script that ships next to the models it loads."""
import yaml
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

MODEL_ID = "acme-research/chat-7b"


def load_config(path):
    with open(path) as handle:
        return yaml.load(handle, Loader=yaml.Loader)  # unsafe: yaml.Loader builds arbitrary Python objects


def main():
    config = load_config("train.yaml")
    tokenizer = AutoTokenizer.from_pretrained(MODEL_ID)
    model = AutoModelForCausalLM.from_pretrained(MODEL_ID, trust_remote_code=True)
    state = torch.load(config["resume_from"], weights_only=False)
    model.load_state_dict(state["model"])
    tokenizer.save_pretrained("out")


if __name__ == "__main__":
    main()
