"""PyTorch reference of the BigColor colorizer (Kim et al., ECCV 2022).

Written from Docs/bigcolor-architecture.md (the spec; the section numbers §N below refer
to it); it does not import or copy the official code. Module paths, and so
state_dict key names, are the official ones, so that checkpoints load as is.

Two flavours:
  official=True   the released checkpoint layout (§7.1): BigGAN spectral-norm
                  layers with u0/sv0 buffers (SN recomputed on every call as in §6.1),
                  G.linear, generator blocks before `generator_first_block`, the
                  unused in1/in2 InstanceNorms. 288 state_dict entries and 146
                  parameters for the full config, in the official order.
  official=False  Kinecolor's folded format (Docs/model-format.md): plain convs and
                  linears whose weights already are W/sigma, and only the modules
                  that run. Used for fixtures, for loading converted files and for
                  training our own models.

Run `python3 -m kinecolor_training.bigcolor` to check the official layout (entry counts, parameter
order, float counts) against the spec.
"""

import json
import math
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

from .configs import (  # noqa: F401 (re-exported: bigcolor.CONFIGS, bigcolor.check_config, ...)
    BOTTOM_WIDTH, BUFFER_SUFFIXES, CONFIG_KEYS, CONFIGS, FULL_CONFIG, SMALL_CONFIG, SN_EPS, TINY_CONFIG,
    check_config, is_buffer_key)


# --------------------------------------------------------------------------
# Spectral norm (Docs/bigcolor-architecture.md §6.1)

def sn_sigma(w_mat, u0, eps=SN_EPS):
    """One power step from the stored u0; returns (sigma, u'). Same maths as the
    converter's offline fold; the weight may carry gradients, u0 never does."""
    with torch.no_grad():
        v = F.normalize(u0 @ w_mat, dim=1, eps=eps)
        u = F.normalize(v @ w_mat.t(), dim=1, eps=eps)
    sigma = ((v @ w_mat.t()) @ u.t()).squeeze()
    return sigma, u


class _SpectralNorm:
    """BigGAN-style SN: buffers u0 [1, out] and sv0 [1]. sigma is recomputed on
    every call; u0/sv0 only change in training mode."""

    def _init_sn(self, out_features):
        self.register_buffer("u0", torch.randn(1, out_features))
        self.register_buffer("sv0", torch.ones(1))

    def sn_weight(self):
        w_mat = self.weight.view(self.weight.shape[0], -1)
        sigma, u = sn_sigma(w_mat, self.u0)
        if self.training:
            with torch.no_grad():
                self.u0.copy_(u)
                self.sv0.copy_(sigma.detach().view(1))
        return self.weight / sigma


class SNConv2d(nn.Conv2d, _SpectralNorm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._init_sn(self.out_channels)

    def forward(self, x):
        return self._conv_forward(x, self.sn_weight(), self.bias)


class SNLinear(nn.Linear, _SpectralNorm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._init_sn(self.out_features)

    def forward(self, x):
        return F.linear(x, self.sn_weight(), self.bias)


def conv(cin, cout, k, sn, bias=True):
    cls = SNConv2d if sn else nn.Conv2d
    return cls(cin, cout, k, padding=(k - 1) // 2, bias=bias)


def linear(cin, cout, sn, bias=False):
    return (SNLinear if sn else nn.Linear)(cin, cout, bias=bias)


# --------------------------------------------------------------------------
# Normalisation

class ConditionalBN(nn.Module):
    """Class-conditional BN (encoder ClassConditionNorm 4.3 and generator ccbn
    5.2): gamma = 1 + gain(y), beta = bias(y), applied after BN with the stored
    statistics. gain/bias are bias-free linears, SN only in the official G."""

    def __init__(self, channels, cond_dim, eps, sn=False):
        super().__init__()
        self.gain = linear(cond_dim, channels, sn)
        self.bias = linear(cond_dim, channels, sn)
        self.register_buffer("stored_mean", torch.zeros(channels))
        self.register_buffer("stored_var", torch.ones(channels))
        self.eps = eps
        self.momentum = 0.1

    def forward(self, x, y):
        gain = (1 + self.gain(y)).view(y.shape[0], -1, 1, 1)
        bias = self.bias(y).view(y.shape[0], -1, 1, 1)
        out = F.batch_norm(x, self.stored_mean, self.stored_var, None, None,
                           self.training, self.momentum, self.eps)
        return out * gain + bias


class OutputBN(nn.Module):
    """Unconditional BN of the output layer (5.4): gain used as is, no '1 +'."""

    def __init__(self, channels, eps):
        super().__init__()
        self.gain = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.register_buffer("stored_mean", torch.zeros(channels))
        self.register_buffer("stored_var", torch.ones(channels))
        self.eps = eps
        self.momentum = 0.1

    def forward(self, x):
        return F.batch_norm(x, self.stored_mean, self.stored_var, self.gain, self.bias,
                            self.training, self.momentum, self.eps)


# --------------------------------------------------------------------------
# Encoder (section 4)

class ResConvBlock(nn.Module):
    def __init__(self, cin, cout, down, dropout, cond_dim, eps):
        super().__init__()
        # Child order fixes the official parameter order: conv, conv_1, conv_2, normalize_1, normalize_2.
        self.conv = conv(cin, cout, 1, sn=False)
        self.conv_1 = conv(cin, cout, 3, sn=False)
        self.conv_2 = conv(cout, cout, 3, sn=False)
        self.normalize_1 = ConditionalBN(cin, cond_dim, eps)
        self.normalize_2 = ConditionalBN(cout, cond_dim, eps)
        self.dropout = nn.Dropout(dropout) if dropout else nn.Identity()
        self.down = down

    def forward(self, x, e):
        h = F.relu(self.normalize_1(x, e))
        if self.down:
            h = F.avg_pool2d(h, 2)
        h = self.conv_1(h)
        h = self.conv_2(F.relu(self.normalize_2(h, e)))
        s = F.avg_pool2d(x, 2) if self.down else x
        return self.dropout(self.conv(s) + h)


class Encoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        widths = [1] + list(cfg["encoder_channels"])
        for k in range(1, 6):
            block = ResConvBlock(widths[k - 1], widths[k], down=k > 1, dropout=0.2 if k < 5 else 0.0,
                                 cond_dim=cfg["shared_dim"], eps=cfg["bn_eps"])
            self.add_module(f"res{k}", block)

    def forward(self, x, e, acts=None):
        for k in range(1, 6):
            x = getattr(self, f"res{k}")(x, e)
            if acts is not None:
                acts[f"E.res{k}"] = x
        return x


# --------------------------------------------------------------------------
# Generator (section 5)

class GBlock(nn.Module):
    def __init__(self, cin, cout, cond_dim, eps, official):
        super().__init__()
        self.conv1 = conv(cin, cout, 3, sn=official)
        self.conv2 = conv(cout, cout, 3, sn=official)
        self.conv_sc = conv(cin, cout, 1, sn=official)
        self.bn1 = ConditionalBN(cin, cond_dim, eps, sn=official)
        self.bn2 = ConditionalBN(cout, cond_dim, eps, sn=official)
        if official:
            # Present (and averaged by torch_ema 0.3) in the checkpoint, but never used.
            self.in1 = nn.InstanceNorm2d(cin, affine=True)
            self.in2 = nn.InstanceNorm2d(cout, affine=True)
            self.in1.requires_grad_(False)
            self.in2.requires_grad_(False)

    def forward(self, x, y):
        h = F.relu(self.bn1(x, y))
        h = self.conv1(F.interpolate(h, scale_factor=2, mode="nearest"))
        h = self.conv2(F.relu(self.bn2(h, y)))
        return h + self.conv_sc(F.interpolate(x, scale_factor=2, mode="nearest"))


class Attention(nn.Module):
    """Non-local block (5.3). gamma is the module's own parameter, so it comes
    before theta/phi/g/o in parameters() and state_dict(), as in the checkpoint."""

    def __init__(self, ch, official):
        super().__init__()
        self.theta = conv(ch, ch // 8, 1, sn=official, bias=False)
        self.phi = conv(ch, ch // 8, 1, sn=official, bias=False)
        self.g = conv(ch, ch // 2, 1, sn=official, bias=False)
        self.o = conv(ch // 2, ch, 1, sn=official, bias=False)
        self.gamma = nn.Parameter(torch.tensor(0.0))

    def forward(self, x):
        n, c, h, w = x.shape
        theta = self.theta(x).view(n, c // 8, h * w)
        phi = F.max_pool2d(self.phi(x), 2).view(n, c // 8, h * w // 4)
        g = F.max_pool2d(self.g(x), 2).view(n, c // 2, h * w // 4)
        beta = F.softmax(torch.bmm(theta.transpose(1, 2), phi), dim=-1)  # [n, hw, hw/4], no 1/sqrt(d)
        o = self.o(torch.bmm(g, beta.transpose(1, 2)).view(n, c // 2, h, w))
        return self.gamma * o + x


def generator_block_widths(cfg, official):
    """{block index: (in, out)}. Blocks before generator_first_block exist only in
    the official layout; their widths come from cfg['early_channels'] (input widths),
    by default 2 * generator_channels[0] each, i.e. 16*ch as in BigGAN-256."""
    gen, first = cfg["generator_channels"], cfg["generator_first_block"]
    widths = {}
    if official:
        early = list(cfg.get("early_channels", [2 * gen[0]] * first))
        if len(early) != first:
            raise ValueError("early_channels needs generator_first_block entries")
        chain = early + [gen[0]]
        for i in range(first):
            widths[i] = (chain[i], chain[i + 1])
    for j in range(4):
        widths[first + j] = (gen[j], gen[j + 1])
    return widths


class Generator(nn.Module):
    def __init__(self, cfg, official):
        super().__init__()
        self.cfg = cfg
        cond_dim = cfg["shared_dim"] + cfg["z_chunk"]
        widths = generator_block_widths(cfg, official)
        # Child order fixes the official order: shared, linear, blocks, output_layer.
        self.shared = nn.Embedding(cfg["num_classes"], cfg["shared_dim"])
        if official:
            first_in = widths[0][0]
            self.linear = SNLinear(cfg["z_chunk"], first_in * BOTTOM_WIDTH ** 2, bias=True)
        # A ModuleDict keyed by the block index gives the official names G.blocks.{i}.0 / .1
        # even when the folded flavour leaves out the blocks that never run.
        self.blocks = nn.ModuleDict()
        for i, (cin, cout) in widths.items():
            block = [GBlock(cin, cout, cond_dim, cfg["bn_eps"], official)]
            if i == cfg["attention_block"]:
                block.append(Attention(cout, official))
            self.blocks[str(i)] = nn.ModuleList(block)
        last = cfg["generator_channels"][-1]
        self.output_layer = nn.Sequential(OutputBN(last, cfg["bn_eps"]), nn.ReLU(),
                                          conv(last, 3, 3, sn=official))

    def forward_from(self, z, e, f, acts=None):
        """Runs blocks generator_first_block.. +3 on the encoder features f
        (Docs/bigcolor-architecture.md §1, step 3). Block i is conditioned on [e, z chunk i+1]."""
        first, zc = self.cfg["generator_first_block"], self.cfg["z_chunk"]
        h = f
        for i in range(first, first + 4):
            y = torch.cat([e, z[:, zc * (i + 1):zc * (i + 2)]], dim=1)
            block = self.blocks[str(i)]
            h = block[0](h, y)
            if len(block) > 1:
                if acts is not None:
                    acts[f"G.blocks.{i}.0"] = h
                h = block[1](h)
                if acts is not None:
                    acts[f"G.blocks.{i}.1"] = h
            elif acts is not None:
                acts[f"G.blocks.{i}"] = h
        return torch.tanh(self.output_layer(h))


class Colorizer(nn.Module):
    def __init__(self, config, official=False):
        super().__init__()
        check_config(config)
        self.config = dict(config)
        self.official = official
        self.E = Encoder(self.config)
        self.G = Generator(self.config, official)
        # Optional class head (Docs/model-format.md, folded flavour only): a linear layer on the
        # encoder output averaged over all positions, the encoder run with a zero class code.
        if self.config.get("class_head") and not official:
            self.C = nn.Linear(self.config["encoder_channels"][-1], self.config["num_classes"])

    def forward(self, x_gray, c, z, return_intermediates=False):
        """x_gray [N,1,H,W] in [0,1]; c an int or int64 tensor [N]; z [dim_z] or
        [N, dim_z]. Returns the tanh output [N,3,H,W] in (-1,1), and with
        return_intermediates also a dict of named activations (e, E.res1..5,
        G.blocks.{i}[.0/.1], out)."""
        n = x_gray.shape[0]
        c = torch.as_tensor(c, dtype=torch.long, device=x_gray.device).reshape(-1).expand(n)
        z = z.to(x_gray.dtype).reshape(-1, z.shape[-1]).expand(n, -1)
        acts = {} if return_intermediates else None
        e = self.G.shared(c).to(x_gray.dtype)
        if acts is not None:
            acts["e"] = e
        f = self.E(x_gray, e, acts)
        out = self.G.forward_from(z, e, f, acts)
        if acts is None:
            return out
        acts["out"] = out
        return out, acts

    def classify(self, x_gray, return_features=False):
        """Class logits [N, num_classes] of the class head: C(mean_hw(E(x, e=0)))."""
        if not hasattr(self, "C"):
            raise ValueError("this model has no class head (config class_head is false)")
        e = torch.zeros(x_gray.shape[0], self.config["shared_dim"], dtype=x_gray.dtype, device=x_gray.device)
        f = self.E(x_gray, e)
        logits = self.C(f.mean(dim=(2, 3)))
        return (logits, f) if return_features else logits


# --------------------------------------------------------------------------
# Loading folded model files

def load_folded(path, dtype=torch.float32):
    """Colorizer (folded flavour, eval mode) from a Kinecolor safetensors file."""
    from safetensors import safe_open

    with safe_open(path, framework="pt") as f:
        meta = f.metadata() or {}
        if meta.get("format") != "kinecolor.bigcolor" or meta.get("architecture_version") != "1":
            raise ValueError(f"{path}: not a kinecolor.bigcolor v1 file")
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    # the chroma calibration is applied after the network (kinecolor_training.calibration)
    calibration = tensors.pop("calibration.ab", None)
    model = Colorizer(json.loads(meta["config"]), official=False)
    model.load_state_dict(tensors, strict=True)  # F16 and BF16 entries are widened on copy
    model.to(dtype)
    model.eval()
    model.calibration = None if calibration is None else calibration.float().numpy()
    return model, meta


# --------------------------------------------------------------------------
# Random weights for tests and benchmarks

def bn_modules(model):
    return [m for m in model.modules() if isinstance(m, (ConditionalBN, OutputBN))]


def randomize_(model, seed=0, gamma=0.5):
    """Random but non-degenerate weights: SN weights with sigma well away from 1,
    random u0 (so a fold that ignored it, or used sv0, would be caught), stored
    variances in 0.5..2, nonzero attention gamma."""
    g = torch.Generator().manual_seed(seed)

    def normal(shape, std=1.0):
        return torch.randn(shape, generator=g) * std

    def uniform(shape, lo, hi):
        return lo + (hi - lo) * torch.rand(shape, generator=g)

    cond_linears = set()
    for m in bn_modules(model):
        if isinstance(m, ConditionalBN):
            cond_linears.update([m.gain, m.bias])

    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                fan_in = m.weight[0].numel()
                if isinstance(m, _SpectralNorm):
                    # SN divides the scale away again; it only makes sigma != 1.
                    std = float(uniform((), 1.5, 4.0)) / math.sqrt(fan_in)
                elif m in cond_linears:
                    std = 0.25 / math.sqrt(fan_in)  # gamma = 1 + W y stays near 1
                else:
                    std = 1.0 / math.sqrt(fan_in)
                m.weight.copy_(normal(m.weight.shape, std))
                if m.bias is not None:
                    m.bias.copy_(normal(m.bias.shape, 0.05))
                if isinstance(m, _SpectralNorm):
                    m.u0.copy_(normal(m.u0.shape))
                    m.sv0.copy_(uniform((1,), 0.5, 3.0))
            elif isinstance(m, nn.Embedding):
                m.weight.copy_(normal(m.weight.shape, 0.5))
            elif isinstance(m, nn.InstanceNorm2d):
                m.weight.copy_(uniform(m.weight.shape, 0.5, 1.5))
                m.bias.copy_(normal(m.bias.shape, 0.1))
            elif isinstance(m, Attention):
                m.gamma.fill_(gamma)
            if isinstance(m, OutputBN):
                m.gain.copy_(uniform(m.gain.shape, 0.3, 0.8))
                m.bias.copy_(normal(m.bias.shape, 0.1))
            if isinstance(m, (ConditionalBN, OutputBN)):
                m.stored_mean.copy_(normal(m.stored_mean.shape, 0.3))
                m.stored_var.copy_(uniform(m.stored_var.shape, 0.5, 2.0))


def random_gray(batch, height, width, generator):
    """Smooth-ish random gray images in [0, 1] (low-frequency blobs plus a little noise)."""
    coarse = torch.rand(batch, 1, max(1, height // 8), max(1, width // 8), generator=generator)
    img = F.interpolate(coarse, size=(height, width), mode="bilinear", align_corners=False)
    img = 0.85 * img + 0.15 * torch.rand(batch, 1, height, width, generator=generator)
    return img.clamp(0, 1)


def calibrate_bn_(model, seed=0, size=(64, 64), batch=4):
    """Sets the stored BN statistics of the blocks that run to the batch
    statistics of a random batch, then jitters them, so that activations keep a
    sane scale through the network (random statistics alone let them drift).
    Spectral norm stays in eval mode, so u0/sv0 are left alone."""
    g = torch.Generator().manual_seed(seed)
    x = random_gray(batch, size[0], size[1], g)
    c = torch.randint(0, model.config["num_classes"], (batch,), generator=g)
    z = torch.randn(batch, model.config["dim_z"], generator=g) * 0.8
    bns = bn_modules(model)
    ran = []
    hooks = [m.register_forward_hook(lambda mod, inp, out: ran.append(mod)) for m in bns]
    model.eval()
    with torch.no_grad():
        for m in bns:
            m.train()
            m.momentum = 1.0
        model(x, c, z)
        model.eval()
        for m in bns:
            m.momentum = 0.1
        # BNs of the blocks that never run keep the random statistics of randomize_().
        for m in ran:
            std = m.stored_var.sqrt()
            m.stored_mean.add_(0.1 * std * torch.randn(std.shape, generator=g))
            m.stored_var.mul_(torch.exp(0.6 * torch.rand(std.shape, generator=g) - 0.3))
    for h in hooks:
        h.remove()


# --------------------------------------------------------------------------
# Layout self-check against Docs/bigcolor-architecture.md §7.1 / §7.2

def _check_official_layout():
    with torch.device("meta"):
        model = Colorizer(FULL_CONFIG, official=True)
        folded = Colorizer(FULL_CONFIG, official=False)
    sd = model.state_dict()
    names = [n for n, _ in model.named_parameters()]
    total = sum(t.numel() for t in sd.values())
    folded_total = sum(t.numel() for t in folded.state_dict().values())
    print(f"state_dict entries: {len(sd)} (spec: 288)")
    print(f"parameters: {len(names)} (spec: 146)")
    print(f"floats in all entries: {total:,} (spec: 105,275,481)")
    print(f"floats in the folded model: {folded_total:,} (spec: ~41.25 M)")
    print("first parameters:", ", ".join(names[:11]))
    print("50-53:", names[50:54])
    print("109-113:", names[109:114])
    print("142-145:", names[142:146])
    buffers_removed = [k for k in sd if not is_buffer_key(k)]
    ok = (len(sd) == 288 and len(names) == 146 and total == 105_275_481
          and buffers_removed == names
          and names[:10] == [
              "E.res1.conv.weight", "E.res1.conv.bias", "E.res1.conv_1.weight", "E.res1.conv_1.bias",
              "E.res1.conv_2.weight", "E.res1.conv_2.bias", "E.res1.normalize_1.gain.weight",
              "E.res1.normalize_1.bias.weight", "E.res1.normalize_2.gain.weight",
              "E.res1.normalize_2.bias.weight"]
          and names[50:53] == ["G.shared.weight", "G.linear.weight", "G.linear.bias"]
          and names[53] == "G.blocks.0.0.conv1.weight"
          and names[109] == "G.blocks.3.1.gamma" and names[110] == "G.blocks.3.1.theta.weight"
          and names[142:] == ["G.output_layer.0.gain", "G.output_layer.0.bias",
                              "G.output_layer.2.weight", "G.output_layer.2.bias"]
          and tuple(sd["G.blocks.3.1.gamma"].shape) == ()
          and tuple(sd["G.linear.weight"].shape) == (24576, 17)
          and tuple(sd["G.blocks.0.0.conv1.weight"].shape) == (1536, 1536, 3, 3)
          and tuple(sd["G.blocks.1.0.conv1.weight"].shape) == (768, 1536, 3, 3))
    print("layout matches the spec" if ok else "LAYOUT MISMATCH")
    return ok


if __name__ == "__main__":
    sys.exit(0 if _check_official_layout() else 1)
