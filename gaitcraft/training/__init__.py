"""The training kit every GaitCraft trainer is built on: the generator (`diffusion/`), the recognizer, the
attribute classifiers and the fused recognizer (`eval/training/`) and the reconstructor (`mesh/reconstruction/`).

One config schema. A training config is a YAML mapping whose `kind:` says what it trains (`generator`,
`recognizer`, `classifiers`, `fused_recognizer`, `reconstructor`), read by `load_config` (`config.py`): a missing or
unknown kind, a kind the command does not take, an unknown key or a wrongly typed value is one `ConfigError` line
naming the file and the key.

One run-folder layout (`RunFolder`, `run_folder.py`)::

    RUN/config.yaml                 the run's whole config, defaults filled in (`kind:` included); a valid --config
    RUN/data.json                   what it trains on: a fingerprint of the sequences' labels, or the vocabulary
    RUN/log.jsonl                   one JSON record per logged step: {"step": N, "loss": ..., "lr": ..., ...}
    RUN/checkpoints/step-NNNNNNN/   the newest `keep_checkpoints` checkpoints (`checkpoints.py`):
        model*.safetensors            weights of the objects passed through `accelerator.prepare` (safetensors)
        optimizer*.bin, scheduler*.bin, random_states_<rank>.pkl
                                      accelerate's `save_state` files, read back with `weights_only=True`
        run_tensors.safetensors       the trainer's own tensors (a generator's RNG, EMA weights, a frozen part)
        run_state.json                the trainer's JSON state: step, train_seconds, phase, batches drawn, RNGs
    RUN/model/                      the trained model: `model.safetensors` + `meta.json` (`model_folder.py`), or, for
                                    the generator, a diffusers pipeline folder
    RUN/samples/                    the generator's contact sheets

One resume rule (`TrainingRun`, `run.py`): rerunning the same command on the same RUN continues from its latest
complete checkpoint, exactly where an uninterrupted single-process run would be; a RUN made with another config
(bar the keys its schema lists as `RESUMABLE`: how long and how often) or other data is refused in one line, and
so is a run folder of a former GaitCraft layout (the generator's `checkpoints/latest.json` + `log.csv`, or
`train_log.jsonl` + `checkpoints/step-N/rng.safetensors`), whose finished models still load.

One log and progress (`Progress`, `progress.py`): a tqdm bar on the main process and a `log.jsonl` record every
`log_every` steps; a resumed run drops the records a killed session wrote past its checkpoint.
"""

from gaitcraft.training.checkpoints import Checkpoint, latest_checkpoint, load_checkpoint, save_checkpoint
from gaitcraft.training.config import KINDS, TrainingConfig, build_dataclass, config_file, load_config, plain
from gaitcraft.training.model_folder import load_weights, model_folder, read_model, save_model
from gaitcraft.training.progress import JsonlLog, Progress, read_log
from gaitcraft.training.run import TrainingRun
from gaitcraft.training.run_folder import RunFolder, data_fingerprint

__all__ = ["KINDS", "Checkpoint", "JsonlLog", "Progress", "RunFolder", "TrainingConfig", "TrainingRun",
           "build_dataclass", "config_file", "data_fingerprint", "latest_checkpoint",
           "load_checkpoint", "load_config", "load_weights", "model_folder", "plain", "read_log", "read_model",
           "save_checkpoint", "save_model"]
