"""Model configurations (the `config` of Docs/model-format.md) and their checks, without PyTorch.

FULL_CONFIG is the released BigColor network (Docs/bigcolor-architecture.md §1); TINY_CONFIG and
SMALL_CONFIG are the narrow random models of the Swift fixtures and of the converter check.
`kinecolor_training.bigcolor` re-exports everything here.
"""

# BigGAN SN epsilon of the released config (Docs/bigcolor-architecture.md §1); it only guards against 0-norms.
SN_EPS = 1e-6
# BigGAN-256 bottom width; only G.linear's shape depends on it.
BOTTOM_WIDTH = 4
BUFFER_SUFFIXES = ("stored_mean", "stored_var", "u0", "sv0")

FULL_CONFIG = {
    "encoder_channels": [96, 192, 384, 768, 768],
    "generator_channels": [768, 768, 384, 192, 96],
    "generator_first_block": 2,
    "attention_block": 3,
    "shared_dim": 128,
    "num_classes": 1000,
    "dim_z": 119,
    "z_chunk": 17,
    "bn_eps": 1e-5,
}

# The narrow model of the Swift unit-test fixtures (make_fixtures.py).
TINY_CONFIG = {
    "encoder_channels": [8, 16, 16, 32, 32],
    "generator_channels": [32, 32, 16, 16, 8],
    "generator_first_block": 2,
    "attention_block": 3,
    "shared_dim": 16,
    "num_classes": 10,
    "dim_z": 35,
    "z_chunk": 5,
    "bn_eps": 1e-5,
}

# A slightly wider one for the end-to-end converter check.
SMALL_CONFIG = {
    "encoder_channels": [16, 32, 32, 64, 64],
    "generator_channels": [64, 64, 32, 32, 16],
    "generator_first_block": 2,
    "attention_block": 3,
    "shared_dim": 16,
    "num_classes": 10,
    "dim_z": 35,
    "z_chunk": 5,
    "bn_eps": 1e-5,
}

CONFIGS = {"full": FULL_CONFIG, "small": SMALL_CONFIG, "tiny": TINY_CONFIG}
CONFIG_KEYS = tuple(FULL_CONFIG)


def check_config(cfg):
    missing = [k for k in CONFIG_KEYS if k not in cfg]
    if missing:
        raise ValueError(f"config lacks {missing}")
    enc, gen = cfg["encoder_channels"], cfg["generator_channels"]
    first, attn = cfg["generator_first_block"], cfg["attention_block"]
    if len(enc) != 5 or len(gen) != 5:
        raise ValueError("encoder_channels and generator_channels need 5 entries each")
    if gen[0] != enc[-1]:
        raise ValueError(f"generator_channels[0] ({gen[0]}) must equal encoder_channels[-1] ({enc[-1]})")
    if not first <= attn < first + 4:
        raise ValueError(f"attention_block {attn} is not one of the blocks that run ({first}..{first + 3})")
    if gen[attn - first + 1] % 8:
        raise ValueError("the attention width must be a multiple of 8")
    if cfg["dim_z"] < cfg["z_chunk"] * (first + 5):
        raise ValueError(f"dim_z must be at least z_chunk * (generator_first_block + 5) = {cfg['z_chunk'] * (first + 5)}")


def is_buffer_key(key):
    return key.rsplit(".", 1)[-1] in BUFFER_SUFFIXES
