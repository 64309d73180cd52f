"""Fine-tuning of a small planner on simulated trajectories: ``python -m finetune <command>``.

``train`` (trl SFT + peft LoRA/QLoRA on the dataset ``python -m simulation export`` writes),
``merge`` (adapter into the base weights), ``export`` (GGUF with llama.cpp's converter, checked
in the embedded llama.cpp backend) and ``evaluate`` (tool-selection accuracy on held-out steps).
Run from a checkout with the ``finetune`` extra: ``pip install -e '.[finetune]'``.
"""
