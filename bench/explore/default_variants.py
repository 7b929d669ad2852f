"""Variants of the `default` detector, measured on TEP and SKAB under the bench protocols.

A numpy re-implementation of `crates/detectors/src/ensemble.rs` (`DefaultModel`) that the
third round of issue #3 used to try ideas before porting one to Rust (rounds 3 to 10): it reproduces the Rust
`default` row of `faultline bench tep` and `bench skab` to the last printed digit (row
`default` below), so a variant's figures here are what the Rust detector would give.

    bench/peers/.venv/bin/python bench/explore/default_variants.py [--data ../shared/data]

Prints one line per variant: TEP far_d00te / far_pre / fdr17 / median delay and SKAB F1 / FAR /
MAR (rates in %), then the SKAB trade-off of the default (and of the round-7 default) when only
its limit is scaled, and the same with TEP for round 4's faster variant. Takes about two minutes. Everything is fitted on
training rows only (TEP `d00.dat`, SKAB the 400-row prefix of each file), as in the Rust
benches. Not part of the product or of CI.
"""

import argparse
import glob
import os

import numpy as np

EXCLUDED = {3, 9, 15, 21}  # not in fdr17 / the median delay (PROTOCOL.md)
BASE = dict(variance=0.75, lambdas=(1.0, 0.05), channel_lambda=0.1, drift_ratio=0.5, folds=5,
            confidence=0.98, clip=2.0, sensor_quantile=1.0, level_sigmas=30.0, frozen=(2.0, 8, 0.05),
            forward=(0.6, 0.7, 0.8))
ROUND7 = dict(forward=None)  # the default before round 8 (rows of round 7)
# Round 9 (not adopted): the rows ahead compounded to one training window ahead, in the three
# forms tried: the whole ratio; only what time adds (against rows between of same-size
# models); the same only where a channel drifts. `growth_z`: only the growth beyond its noise.
STEP1 = dict(forward_horizon=1.0, unmatched=1, ungated=1)
STEP2 = dict(forward_horizon=1.0, ungated=1)
STEP3 = dict(forward_horizon=1.0)
ROUND6 = dict(ROUND7, level_sigmas=None, frozen=None)  # the default before round 7 (rows of rounds 3-6)


# --- the detector -------------------------------------------------------------------------------

def blocks(n, k):
    return np.array_split(np.arange(n), k)


def ewma(x, lam, start, cap=None):
    if cap is not None and lam < 1:
        x = np.minimum(x, cap)
    out, s = np.empty(len(x)), start
    for i, v in enumerate(x):
        s = lam * v + (1 - lam) * s
        out[i] = s
    return out


def channel_ewma(z, lam, caps=None):
    if caps is not None:
        z = np.clip(z, -caps, caps)
    out, s = np.empty_like(z), np.zeros(z.shape[1])
    for i in range(len(z)):
        s = lam * z[i] + (1 - lam) * s
        out[i] = s
    return out


def drift_flags(x, folds, ratio):
    sd = x.std(0, ddof=1)
    means = np.array([x[b].mean(0) for b in blocks(len(x), folds)])
    return (sd > 0) & (means.std(0, ddof=1) > ratio * sd)


def wander(y, folds):
    """Spread of each input's block means over its sd (white noise of n rows: ~sqrt(folds / n))."""
    sd = y.std(0, ddof=1)
    means = np.array([y[b].mean(0) for b in blocks(len(y), folds)])
    return np.where(sd > 0, means.std(0, ddof=1) / np.where(sd > 0, sd, 1), 0)


def longest_runs(x):
    """Per channel, the longest run of one exact value repeated in consecutive rows."""
    return runs(x).max(0) if len(x) else np.zeros(x.shape[1])


def runs(x):
    """Per row and channel, how many consecutive rows up to this one hold this exact value."""
    out = np.ones_like(x)
    for i in range(1, len(x)):
        out[i] = np.where(x[i] == x[i - 1], out[i - 1] + 1, 1)
    return out


def transform(x, differenced):
    if not differenced.any():
        return x.copy()
    y = x[1:].copy()
    y[:, differenced] = x[1:, differenced] - x[:-1, differenced]
    return y


class Core:
    """PCA + EWMA branches fitted on model inputs (one per fold, one final)."""

    def __init__(self, y, c):
        self.c = c
        self.mean = y.mean(0)
        sd = y.std(0, ddof=1)
        sd[sd <= 1e-12 * np.maximum(abs(self.mean), 1)] = 0
        self.sd = sd
        z = self.standardise(y)
        w, v = np.linalg.eigh(z.T @ z / (len(z) - 1))
        w, v = np.maximum(w[::-1], 0), v[:, ::-1]
        a, cum = 0, 0.0
        while a < max(len(w) - 1, 1) and cum < c["variance"] * w.sum():
            cum += w[a]
            a += 1
        self.p, self.lam = v[:, :max(a, 1)], np.maximum(w[:max(a, 1)], 1e-12)
        t2, spe = self.t2_spe(z)
        self.t2_mean, self.spe_mean = t2.mean(), spe.mean()
        clip = c["clip"]
        self.cap_t2 = clip * np.quantile(t2, .99) if clip else None
        self.cap_spe = clip * np.quantile(spe, .99) if clip else None
        self.cap_ch = np.maximum(clip * np.quantile(abs(z), .99, axis=0), 1e-12) if clip else None
        self.norm = [(max(np.quantile(ewma(t2, l, self.t2_mean, self.cap_t2), .99), 1e-12),
                      max(np.quantile(ewma(spe, l, self.spe_mean, self.cap_spe), .99), 1e-12))
                     for l in c["lambdas"]]
        e = channel_ewma(z, c["channel_lambda"], self.cap_ch)
        sd_e = e.std(0)
        sd_e[sd_e == 0] = 1
        if c.get("level_blocks"):  # round 5: widen by the level's wander between time blocks
            k = c["level_blocks"]
            spread = np.array([z[b].mean(0) for b in blocks(len(z), k)]).var(0, ddof=1)
            if c.get("level_mode") == "batch":  # batch-means long-run sd, as an EWMA's sd
                lam = c["channel_lambda"]
                sd_e = np.maximum(sd_e, np.sqrt(lam / (2 - lam) * len(z) / k * spread))
            else:  # block-mean variance beyond white noise's, added in quadrature
                sd_e = np.sqrt(sd_e ** 2 + np.maximum(spread - k / len(z), 0))
        self.channel_sd = sd_e
        self.channel_norm = max(np.quantile(abs(e / sd_e).max(1), .99), 1e-12)

    def standardise(self, y):
        safe = np.where(self.sd > 0, self.sd, 1)
        return np.where(self.sd > 0, (y - self.mean) / safe, 0)

    def t2_spe(self, z):
        t = z @ self.p
        return (t ** 2 / self.lam).sum(1), np.maximum((z ** 2).sum(1) - (t ** 2).sum(1), 0)

    def branches(self, y, per_channel=False):
        """Each normalised branch of the combined statistic, plus 'sensor' = max |z| (raw)."""
        z = self.standardise(y)
        t2, spe = self.t2_spe(z)
        c, out = self.c, {}
        e = abs(channel_ewma(z, c["channel_lambda"], self.cap_ch) / self.channel_sd)
        e /= self.channel_norm
        if per_channel:
            out.update({f"c{j}": e[:, j] for j in range(e.shape[1])})
        else:
            out["channel"] = e.max(1)
        for l, (nt, ns) in zip(c["lambdas"], self.norm):
            out[f"t2@{l}"] = ewma(t2, l, self.t2_mean, self.cap_t2) / nt
            if l in c.get("spe_lambdas", c["lambdas"]):  # round 10: SPE on fewer memories
                out[f"spe@{l}"] = ewma(spe, l, self.spe_mean, self.cap_spe) / ns
        out["sensor"] = abs(z).max(1)
        return out


class Model:
    """The default detector and the calibration variants tried in round 3.

    variant keys (beyond BASE): per_branch (normalise every branch by its held-out quantile
    `branch_quantile` before the combined limit), per_channel (the same for each channel of the
    per-channel branch, floored at 1), warm (held-out EWMAs warmed by the rows before the block).
    """

    def __init__(self, x, c):
        self.differenced = drift_flags(x, c["folds"], c["drift_ratio"])
        y = transform(x, self.differenced)
        if c.get("wander_lambda"):  # round 6: each channel's EWMA memory from its own wander
            c = dict(c, channel_lambda=c["wander_lambda"](wander(y, c["folds"])))
        self.c = c
        held = {}
        for b in blocks(len(y), c["folds"]):
            g = c.get("gap", 0)  # rows either side of the block left out of its fold too
            fold = np.arange(max(b[0] - g, 0), min(b[-1] + 1 + g, len(y)))
            core = Core(np.delete(y, fold, 0), c)
            rows = y[:b[-1] + 1] if c.get("warm") else y[b]
            for k, v in core.branches(rows, c.get("per_channel")).items():
                held.setdefault(k, []).append(v[-len(b):])
        held = {k: np.concatenate(v) for k, v in held.items()}
        ahead = self.ahead(y, c) if c.get("forward") else None
        sensor = sensor_blocks = held.pop("sensor")
        if ahead is not None:  # round 8: the per-sensor limit sees the rows ahead too
            sensor = np.concatenate([sensor, ahead.pop("sensor")])
        self.scale = {k: 1.0 for k in held}
        if c.get("per_branch"):
            self.scale = {k: max(np.quantile(v, c["branch_quantile"]), 1e-12) for k, v in held.items()}
        if c.get("per_channel"):
            for k in held:
                if k.startswith("c"):
                    self.scale[k] = max(np.quantile(held[k], c["branch_quantile"]), 1.0)
        if c.get("channel_ahead") and ahead is not None:
            # round 10: each channel of the per-channel branch over its own rows-ahead ratio
            # (its quantile ahead over its quantile between blocks), bounded to [1, 2]
            for k in held:
                if k.startswith("c"):
                    r = np.quantile(ahead[k], c["confidence"]) / max(np.quantile(held[k], c["confidence"]), 1e-12)
                    self.scale[k] = min(max(r, 1.0), 2.0)
        combined = np.max([held[k] / self.scale[k] for k in held], 0)
        self.limit = np.quantile(combined, c["confidence"])
        if c.get("pot") is not None:  # exponential tail above held-out q 0.9, limit at exceedance pot
            t = np.quantile(combined, 0.9)
            self.limit = t + (combined[combined > t] - t).mean() * np.log(0.1 / c["pot"])
        if c.get("spread_k") is not None:  # limit = mean + k sd of the per-block quantiles
            cuts = np.cumsum([len(b) for b in blocks(len(y), c["folds"])])[:-1]
            q = np.array([np.quantile(p, c["confidence"]) for p in np.split(combined, cuts)])
            self.limit = q.mean() + c["spread_k"] * q.std(ddof=1)
        if ahead is not None:  # round 8: the limit is at least the quantile on the rows ahead
            forward = np.max([ahead[k] / self.scale[k] for k in ahead], 0)
            if c.get("forward_union"):  # one quantile over both sets of held-out rows
                self.limit = np.quantile(np.concatenate([combined, forward]), c["confidence"])
            else:
                ahead = np.quantile(forward, c.get("forward_conf", c["confidence"]))
                ratio = ahead / self.limit if self.limit > 0 else 1.0
                # round 9: the rows ahead compounded from the folds' horizons to `forward_horizon`
                # training windows ahead, by the part of the ratio that time explains: the rows
                # ahead over rows between, scored by models of the same size (`middle`);
                # `unmatched`: the whole ratio. Bounded as before (MAX_AHEAD_RATIO).
                # only where step 1 found a channel drifting (`ungated`: everywhere)
                compound = c.get("forward_horizon") and (self.differenced.any() or c.get("ungated"))
                power = self.horizon_power(len(y), c) if compound else 1.0
                growth = ratio
                if compound and not c.get("unmatched"):
                    between = self.middle(y, c, self.scale)
                    middle = np.quantile(between, c["confidence"])
                    growth = max(ahead / middle, 1.0) if middle > 0 else 1.0
                    if c.get("growth_of") is not None:  # round 10: growth of the mean or a lower quantile
                        of = c["growth_of"]
                        stat = np.mean if of == "mean" else (lambda v: np.quantile(v, of))
                        growth = max(stat(forward) / stat(between), 1.0)
                    self.middle_q = middle
                if compound and c.get("growth_z") is not None:
                    # the lower confidence bound of the ratio: the blocks' own spread of log q98
                    # as its noise, for a quantile of 5 blocks against one of about 2 blocks' rows
                    per_block = [np.quantile(v, c["confidence"]) for v in np.array_split(combined, c["folds"])]
                    noise = np.std(np.log(np.maximum(per_block, 1e-12)), ddof=1) * np.sqrt(1 / 5 + 1 / 2)
                    growth = np.exp(max(np.log(max(ratio, 1e-12)) - c["growth_z"] * noise, 0.0))
                self.ratio, self.between, self.ahead_q, self.growth = ratio, self.limit, ahead, growth
                self.extrapolated = ratio * growth ** (power - 1)
                self.limit = self.limit * min(max(self.extrapolated, 1.0), c.get("max_ahead", 2.0))
        q = c.get("sensor_quantile")
        self.sensor_limit = np.quantile(sensor, q) * c.get("sensor_factor", 1.0) if q else None
        if q and ahead is not None:  # the rows ahead bounded as for the limit (MAX_AHEAD_RATIO)
            blocks_q = np.quantile(sensor_blocks, q) * c.get("sensor_factor", 1.0)
            ratio = self.sensor_limit / blocks_q
            if c.get("sensor_horizon"):  # round 9 variant: extrapolated as the limit is
                ratio = ratio ** self.horizon_power(len(y), c)
            self.sensor_limit = blocks_q * min(max(ratio, 1.0), 2.0)
        self.core = Core(y, c)
        self.warm_up = int(self.differenced.any())
        # round 7: a differenced channel still alarms far from its raw training level
        self.level_mu, self.level_sd = x.mean(0), x.std(0, ddof=1)
        self.level_checked = self.differenced & (self.level_sd > 0)
        if c.get("frozen"):  # round 7: a value repeated far longer than any run in training
            factor, margin, share = c["frozen"]
            longest = longest_runs(x)  # held by design (setpoints, modes) beyond `share`: unchecked
            self.frozen_limit = np.where(longest > share * len(x), np.inf, np.ceil(factor * longest) + margin)

    @staticmethod
    def middle(y, c, scale):
        """Round 9: for each forward origin, a block as long as its rows ahead in the middle of
        the window, scored from a fresh state by a model fitted on the rest (as many rows as the
        forward model): rows between, for models of the forward folds' size."""
        n, out = len(y), []
        for share in c["forward"]:
            length = n - int(np.floor(share * n + 0.5))
            block = np.arange((n - length) // 2, (n - length) // 2 + length)
            v = Core(np.delete(y, block, 0), c).branches(y[block])
            v.pop("sensor")
            out.append(np.max([v[k] / scale[k] for k in v], 0))
        return np.concatenate(out)

    @staticmethod
    def horizon_power(n, c):
        """Round 9: mean horizon of `forward_horizon` x n rows ahead over the mean horizon of the
        rows the forward folds score (horizon 1 .. n - cut after each cut), as the Rust code."""
        lengths = [n - int(np.floor(s * n + 0.5)) for s in c["forward"]]
        lengths = [m for m in lengths if 0 < m < n]
        measured = sum(m * (m + 1) / 2 for m in lengths) / sum(lengths)
        return (c["forward_horizon"] * n + 1) / 2 / measured

    @staticmethod
    def ahead(y, c):
        """Round 8: each branch on the rows after each forward origin (a share of the rows, rounded
        half up as the Rust code does), scored by a model fitted on the rows before it."""
        n, held = len(y), {}
        for share in c["forward"]:
            cut = int(np.floor(share * n + 0.5))
            start = cut + int(np.floor(c.get("forward_skip", 0) * n + 0.5))  # rows left out after it
            for k, v in Core(y[:cut], c).branches(y[start:], c.get("per_channel")).items():
                held.setdefault(k, []).append(v)
        return {k: np.concatenate(v) for k, v in held.items()}

    def score(self, x):
        out = np.full(len(x), np.nan)
        parts = self.core.branches(transform(x, self.differenced), self.c.get("per_channel"))
        sensor = parts.pop("sensor")
        combined = np.max([parts[k] / self.scale[k] for k in parts], 0)
        if self.sensor_limit is not None:
            combined = np.maximum(combined, sensor / self.sensor_limit * self.limit)
        if self.c.get("level_sigmas") and self.level_checked.any():
            d = self.level_checked
            level = abs((x[self.warm_up:, d] - self.level_mu[d]) / self.level_sd[d]).max(1)
            combined = np.maximum(combined, level / self.c["level_sigmas"] * self.limit)
        if self.c.get("frozen"):
            frozen = (runs(x)[self.warm_up:] / self.frozen_limit).max(1)
            combined = np.maximum(combined, frozen * self.limit)
        out[self.warm_up:] = combined
        return out

    def alarms(self, x, limit_factor=1.0):
        s = self.score(x)
        return np.where(np.isnan(s), np.nan, s > self.limit * limit_factor)


# --- the protocols ------------------------------------------------------------------------------

def load_tep(folder):
    train = np.loadtxt(os.path.join(folder, "d00.dat"))
    train = train.T if train.shape[0] == 52 else train
    normal = np.loadtxt(os.path.join(folder, "d00_te.dat"))
    faults = [np.loadtxt(os.path.join(folder, f"d{k:02d}_te.dat")) for k in range(1, 22)]
    return train, normal, faults


def load_skab(folder):
    files = []
    for path in sorted(glob.glob(os.path.join(folder, "*", "*.csv"))):
        if "anomaly-free" in path:
            continue
        lines = open(path).read().replace("\r", "").split("\n")[1:]
        rows = [line.split(";") for line in lines if line.strip()]
        x = np.array([[float(v) for v in r[1:9]] for r in rows])
        files.append((x, np.array([float(r[9]) > 0.5 for r in rows])))
    return files


def stationary_plant(rows, seed, channels=52, factors=6, phi=0.8, noise=0.1):
    """Round 9: a stationary latent-factor process like `crates/testkit`'s plant (no drift)."""
    rng = np.random.default_rng(1000 + seed)
    loadings = rng.standard_normal((channels, factors)) / np.sqrt(1 + np.arange(factors))
    loadings /= np.linalg.norm(loadings, axis=1, keepdims=True)
    f, out = np.zeros(factors), []
    for _ in range(rows):
        f = phi * f + np.sqrt(1 - phi * phi) * rng.standard_normal(factors)
        out.append(loadings @ f + noise * rng.standard_normal(channels))
    return np.array(out)


def rate(a):
    return 100 * a[~np.isnan(a)].mean()


def first_run_of_three(a):
    for i in range(len(a) - 2):
        if a[i] == 1 and a[i + 1] == 1 and a[i + 2] == 1:
            return i
    return None


def tep_row(tep, c, limit_factor=1.0):
    train, normal, faults = tep
    model = Model(train, c)
    tracks = [model.alarms(x, limit_factor) for x in faults]
    kept = [k for k in range(1, 22) if k not in EXCLUDED]
    fdr17 = np.mean([rate(tracks[k - 1][160:]) for k in kept])
    delays = {k: first_run_of_three(tracks[k - 1][160:]) for k in kept}
    median = np.median([d for d in delays.values() if d is not None])
    pre = rate(np.concatenate([t[:160] for t in tracks]))
    delays["fdr21"] = np.mean([rate(t[160:]) for t in tracks])
    delays["idv5"] = rate(tracks[4][160:])
    return rate(model.alarms(normal, limit_factor)), pre, fdr17, median, delays


def skab_counts(files, c, limit_factor=1.0):
    tp = fp = fn = tn = 0
    for x, y in files:
        model = Model(x[:400], c)
        score = np.nan_to_num(model.score(x))[400:]
        a, yy = score > model.limit * limit_factor, y[400:]
        tp, fp = tp + (a & yy).sum(), fp + (a & ~yy).sum()
        fn, tn = fn + (~a & yy).sum(), tn + (~a & ~yy).sum()
    return 2 * tp / (2 * tp + fn + fp), 100 * fp / (fp + tn), 100 * fn / (fn + tp)


FAST = dict(channel_lambda=0.2, lambdas=(1.0, 0.05, 0.2))  # round 4's best SKAB trade-off

# Rows of rounds 3 to 6, each measured on the default as it was then (no level check).
EARLIER = [
    ("round-6 default (no level check)", {}),
    ("no per-sensor limit (round-2 default)", dict(sensor_quantile=None)),
    ("sensor limit: held-out q 0.99", dict(sensor_quantile=0.99)),
    ("sensor limit: held-out q 0.995", dict(sensor_quantile=0.995)),
    ("sensor limit: held-out q 0.999", dict(sensor_quantile=0.999)),
    ("sensor limit: 1.1 x held-out max", dict(sensor_factor=1.1)),
    ("per-branch held-out q 0.95, conf 0.98", dict(per_branch=1, branch_quantile=0.95)),
    ("per-branch held-out q 0.95, conf 0.99", dict(per_branch=1, branch_quantile=0.95, confidence=0.99)),
    ("per-branch held-out q 0.98, conf 0.99", dict(per_branch=1, branch_quantile=0.98, confidence=0.99)),
    ("per-branch held-out q 0.99, conf 0.99", dict(per_branch=1, branch_quantile=0.99, confidence=0.99)),
    ("per-channel held-out max, conf 0.98", dict(per_channel=1, branch_quantile=1.0)),
    ("per-channel held-out max, conf 0.99", dict(per_channel=1, branch_quantile=1.0, confidence=0.99)),
    ("held-out EWMAs warmed, conf 0.98", dict(warm=1)),
    ("held-out EWMAs warmed, conf 0.99", dict(warm=1, confidence=0.99)),
    # round 4: faster per-channel EWMA, a middle T2/SPE speed, wider held-out folds
    ("per-channel lambda 0.15", dict(channel_lambda=0.15)),
    ("per-channel lambda 0.2", dict(channel_lambda=0.2)),
    ("per-channel lambda 0.3", dict(channel_lambda=0.3)),
    ("per-channel lambda 0.2, conf 0.99", dict(channel_lambda=0.2, confidence=0.99)),
    ("T2/SPE lambdas 1, 0.05, 0.2", dict(lambdas=(1.0, 0.05, 0.2))),
    ("per-ch 0.15, T2/SPE 1, 0.05, 0.2", dict(channel_lambda=0.15, lambdas=(1.0, 0.05, 0.2))),
    ("per-ch 0.2, T2/SPE 1, 0.05, 0.2", FAST),
    ("fold leaves out 50 rows either side", dict(gap=50)),
    ("fold leaves out 80 rows either side", dict(gap=80)),
    ("limit = mean + 1 sd of block quantiles", dict(spread_k=1.0)),
    ("exponential-tail limit, exceedance 0.01", dict(pot=0.01)),
    ("exp-tail 0.01, per-ch 0.2, T2/SPE 3 speeds", dict(FAST, pot=0.01)),
    # round 5: each channel EWMA's normaliser widened by how far its level wanders between blocks
    ("channel sd + level spread, 5 blocks", dict(level_blocks=5)),
    ("channel sd + level spread, 10 blocks", dict(level_blocks=10)),
    ("channel sd >= batch-means sd, 10 blocks", dict(level_blocks=10, level_mode="batch")),
    ("the same on fast", dict(FAST, level_blocks=10, level_mode="batch")),
    # round 6: a shorter per-channel memory only where the channel's level wanders
    ("per-ch lambda 0.2 where wander > 0.2", dict(wander_lambda=lambda w: np.where(w > 0.2, 0.2, 0.1))),
    ("per-ch lambda 0.3 where wander > 0.2", dict(wander_lambda=lambda w: np.where(w > 0.2, 0.3, 0.1))),
    ("per-ch lambda 0.2 where wander > 0.15", dict(wander_lambda=lambda w: np.where(w > 0.15, 0.2, 0.1))),
    ("per-ch lambda 0.1 (w / 0.11)^2 in [.1, .5]",
     dict(wander_lambda=lambda w: np.clip(0.1 * (w / 0.11) ** 2, 0.1, 0.5))),
    ("the first, T2/SPE 1, 0.05, 0.2",
     dict(wander_lambda=lambda w: np.where(w > 0.2, 0.2, 0.1), lambdas=(1.0, 0.05, 0.2))),
]

VARIANTS = [("default", {})] + [(name, dict(ROUND6, **change)) for name, change in EARLIER] + [
] + [(name, dict(ROUND7, **change)) for name, change in [
    # round 7: the gross-level check of differenced channels at other bounds
    ("round-7 default (no forward calibration)", {}),
    ("level check at 20 sd", dict(level_sigmas=20.0)),
    ("level check at 40 sd", dict(level_sigmas=40.0)),
    ("no frozen-value check", dict(frozen=None)),
    ("frozen beyond 3 x longest training run + 10", dict(frozen=(3.0, 10, 0.05))),
]] + [
    # round 8: the limit also from the rows ahead of forecast origins (other origins, rules)
    ("ahead of 0.6 only", dict(forward=(0.6,))),
    ("ahead of 0.8 only", dict(forward=(0.8,))),
    ("ahead of 0.6 and 0.8", dict(forward=(0.6, 0.8))),
    ("ahead of 0.6, 0.7, 0.8, 0.9", dict(forward=(0.6, 0.7, 0.8, 0.9))),
    ("ahead of 0.5 .. 0.9", dict(forward=(0.5, 0.6, 0.7, 0.8, 0.9))),
    ("one quantile over blocks and rows ahead", dict(forward_union=1)),
    ("rows ahead at q 0.985", dict(forward_conf=0.985)),
    ("rows ahead, 10 % left out after the origin", dict(forward_skip=0.1)),
    ("with per-channel lambda 0.15", dict(channel_lambda=0.15)),
    ("with per-channel lambda 0.2", dict(channel_lambda=0.2)),
    ("with per-channel lambda 0.2, q 0.985 ahead", dict(channel_lambda=0.2, forward_conf=0.985)),
    ("with per-channel lambda 0.2, 10 % left out", dict(channel_lambda=0.2, forward_skip=0.1)),
    ("with per-channel lambda 0.25", dict(channel_lambda=0.25)),
    # round 9 (not adopted): the rows ahead compounded to a horizon
    ("r9 step 1: whole ratio to 1 window", STEP1),
    ("r9 step 1, to 0.8 windows", dict(STEP1, forward_horizon=0.8)),
    ("r9 step 2: only what time adds", STEP2),
    ("r9 step 3: step 2 where a channel drifts", STEP3),
    ("r9 step 3 to 0.5 windows", dict(STEP3, forward_horizon=0.5)),
    ("r9 step 3 to 0.8 windows", dict(STEP3, forward_horizon=0.8)),
    ("r9 step 3 to 1.5 windows", dict(STEP3, forward_horizon=1.5)),
    ("r9 step 3 to 2 windows", dict(STEP3, forward_horizon=2.0)),
    ("r9 step 3, ahead of 0.6 only", dict(STEP3, forward=(0.6,))),
    ("r9 step 3, ahead of 0.8 only", dict(STEP3, forward=(0.8,))),
    ("r9 step 3, bound 1.5", dict(STEP3, max_ahead=1.5)),
    ("r9 step 3, bound 3", dict(STEP3, max_ahead=3.0)),
    ("r9 step 3, per-sensor limit too", dict(STEP3, sensor_horizon=1)),
    ("r9 whole ratio beyond its noise, z 1", dict(STEP1, growth_z=1.0)),
    ("r9 whole ratio beyond its noise, z 1.64", dict(STEP1, growth_z=1.64)),
]


# Round 10 (not adopted): the per-channel branch with a rows-ahead ratio per channel; the slow SPE
# branch left out or made faster; round 9's growth measured on the mean or a lower quantile of
# the held-out statistic instead of its 98 % quantile (steadier than a tail of a few rows).
PER_CHANNEL_AHEAD = dict(per_channel=True, branch_quantile=0.0, channel_ahead=True)
ROUND10 = [("default", {}),
           ("per-channel limits from the rows ahead", PER_CHANNEL_AHEAD),
           ("SPE at lambda 1 only", dict(spe_lambdas=(1.0,))),
           ("SPE at lambda 1 and 0.1", dict(lambdas=(1.0, 0.05, 0.1), spe_lambdas=(1.0, 0.1))),
           ("step 3 (round 9)", STEP3),
           ("step 2, growth of the mean", dict(STEP2, growth_of="mean")),
           ("step 3, growth of the mean", dict(STEP3, growth_of="mean")),
           ("step 3, growth of the median", dict(STEP3, growth_of=0.5)),
           ("step 3, growth of q 0.75", dict(STEP3, growth_of=0.75)),
           ("step 3, growth of q 0.9", dict(STEP3, growth_of=0.9))]


def skab_events(files, c):
    """Round 9: false alarms before / after the first labelled anomaly of each file, missed rows,
    and per labelled anomaly whether and how many rows after its start the first alarm came."""
    pre = post = missed = found = events = 0
    delays = []
    for x, y in files:
        model = Model(x[:400], c)
        a, yy = (np.nan_to_num(model.score(x)) > model.limit)[400:], y[400:]
        first = np.argmax(yy) if yy.any() else len(yy)
        false = a & ~yy
        pre, post = pre + false[:first].sum(), post + false[first:].sum()
        missed += (~a & yy).sum()
        starts = np.flatnonzero(np.diff(np.r_[0, yy.astype(int)]) == 1)
        ends = np.flatnonzero(np.diff(np.r_[yy.astype(int), 0]) == -1)
        for s, e in zip(starts, ends):
            events += 1
            hit = np.flatnonzero(a[s:e + 1])
            if len(hit):
                found += 1
                delays.append(hit[0])
    d = np.array(delays)
    return (f"false {pre} / {post}, missed {missed}; found {found} of {events}, delay "
            f"{np.median(d):.1f} / {d.mean():.1f} / {np.quantile(d, 0.9):.1f} / {d.max()}")


def hold(alarms, rows):
    """Round 7's off-delay: an alarm stays on for `rows` rows after the last row over the limit."""
    out, last = alarms.copy(), -rows
    for i, a in enumerate(alarms):
        last = i if a else last
        out[i] = i - last < rows
    return out


def skab_held(files, c, factor, rows):
    tp = fp = fn = 0
    for x, y in files:
        model = Model(x[:400], c)
        a = hold(np.nan_to_num(model.score(x)) > model.limit * factor, rows)[400:]
        tp, fp, fn = tp + (a & y[400:]).sum(), fp + (a & ~y[400:]).sum(), fn + (~a & y[400:]).sum()
    tn = (~np.concatenate([y[400:] for _, y in files])).sum() - fp
    return 2 * tp / (2 * tp + fn + fp), 100 * fp / (fp + tn), 100 * fn / (fn + tp)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default="../shared/data")
    args = parser.parse_args()
    tep = load_tep(os.path.join(args.data, "tep"))
    skab = load_skab(os.path.join(args.data, "skab"))
    print(f"{'variant':42s} {'far_d00te':>9s} {'far_pre':>7s} {'fdr17':>6s} {'delay':>5s} | "
          f"{'F1':>5s} {'FAR':>6s} {'MAR':>6s}")
    for name, change in VARIANTS:
        c = dict(BASE, **change)
        far, pre, fdr17, delay, delays = tep_row(tep, c)
        f1, skab_far, mar = skab_counts(skab, c)
        print(f"{name:42s} {far:9.2f} {pre:7.2f} {fdr17:6.2f} {delay:5.1f} | "
              f"{f1:5.3f} {skab_far:6.2f} {mar:6.2f}", flush=True)
        fdr21 = delays.pop("fdr21")
        idv5 = delays.pop("idv5")
        if name.startswith("with per-channel") or name.startswith("1 window, with per-channel"):
            print(f"{'':42s} IDV 5 detected {idv5:.2f} %", flush=True)
        if name == "default" or "frozen" in name:
            print(f"{'':42s} fdr21 {fdr21:.2f}; delays per fault: {delays}", flush=True)
    print("\nSKAB, default with only its limit scaled (the trade-off the limit alone offers):")
    for factor in [1.0, 1.05, 1.1, 1.15, 1.2, 1.35, 1.5, 2.0]:
        f1, skab_far, mar = skab_counts(skab, BASE, factor)
        print(f"  limit x {factor:<4}  F1 {f1:.3f}  FAR {skab_far:6.2f}  MAR {mar:6.2f}", flush=True)
    print("\nThe same for round 9's step 3 (not adopted):")
    for factor in [1.0, 1.05, 1.1]:
        f1, skab_far, mar = skab_counts(skab, dict(BASE, **STEP3), factor)
        print(f"  limit x {factor:<4}  F1 {f1:.3f}  FAR {skab_far:6.2f}  MAR {mar:6.2f}", flush=True)
    print("\nRound 9: SKAB false-alarm rows before / after a labelled anomaly, missed rows, and per"
          " anomaly: found, median / mean / 90th percentile / largest rows to the first alarm:")
    for name, c in [("default", BASE), ("step 3", dict(BASE, **STEP3))]:
        print(f"  {name:8s} {skab_events(skab, c)}", flush=True)
    models = [Model(x[:400], dict(BASE, **STEP2)) for x, _ in skab]
    lower = sum(m.middle_q < m.between for m in models)
    beyond = sum(m.growth > max(m.ratio, 1.0) for m in models)
    print(f"  step 2: same-size middle blocks read lower than the five blocks in {lower} of "
          f"{len(models)} files; growth beyond the whole ratio in {beyond}", flush=True)
    print("\nRound 9: a stationary simulated plant (52 channels, 6 AR(1) factors at 0.8; 20 seeds"
          " per length): limit over the blocks' quantile at its 50, 75 and 90 % quantiles:")
    for rows in (300, 400, 600, 1000):
        plants = [stationary_plant(rows, seed) for seed in range(20)]
        drifting = sum(Model(x, BASE).differenced.any() for x in plants)
        for name, c in [("default (round 8)", BASE), ("step 1", dict(BASE, **STEP1)),
                        ("step 3", dict(BASE, **STEP3)),
                        ("beyond its noise, z 1.64", dict(BASE, **STEP1, growth_z=1.64))]:
            factors = []
            for x in plants:
                m = Model(x, c)
                factors.append(m.limit / m.between)
            q = np.quantile(factors, [0.5, 0.75, 0.9])
            print(f"  {rows:4d} rows ({drifting:2d} drifting)  {name:26s} {' '.join(f'{v:.3f}' for v in q)}"
                  f"  at the bound x 2: {sum(f >= 2 for f in factors)}", flush=True)
    print("\nRound 10: other branches and a steadier growth (TEP far_d00te / far_pre / fdr17 / delay,"
          " SKAB F1 / FAR / MAR; stationary plants: limit over the blocks' quantile, 75 / 90 %):")
    for name, change in ROUND10:
        c = dict(BASE, **change)
        far, pre, fdr17, delay, _ = tep_row(tep, c)
        f1, skab_far, mar = skab_counts(skab, c)
        line = f"  {name:40s} {far:5.2f} {pre:5.2f} {fdr17:6.2f} {delay:4.1f} | {f1:5.3f} {skab_far:6.2f} {mar:6.2f} |"
        for rows in (300, 400, 600):
            factors = []
            for x in (stationary_plant(rows, seed) for seed in range(20)):
                m = Model(x, c)
                factors.append(m.limit / getattr(m, "between", m.limit))
            line += f" {rows}: " + " ".join(f"{v:.2f}" for v in np.quantile(factors, [0.75, 0.9]))
        print(line, flush=True)
    print("\nRound 9: TEP fitted on the first rows of d00 only (thin fold models), limit and figures:")
    train, normal, faults = tep
    for rows in (300, 400, 500):
        for name, c in [("default", BASE), ("step 1", dict(BASE, **STEP1)), ("step 3", dict(BASE, **STEP3))]:
            m = Model(train[:rows], c)
            far, pre, fdr17, delay, _ = tep_row((train[:rows], normal, faults), c)
            print(f"  {rows} rows  {name:8s} limit {m.limit:.3f}  {far:5.2f} {pre:5.2f} {fdr17:6.2f} "
                  f"{delay:4.1f}", flush=True)
    print("\nThe same for the round-7 default (no forward calibration):")
    for factor in [1.0, 1.1, 1.2, 1.3, 1.35]:
        f1, skab_far, mar = skab_counts(skab, dict(BASE, **ROUND7), factor)
        print(f"  limit x {factor:<4}  F1 {f1:.3f}  FAR {skab_far:6.2f}  MAR {mar:6.2f}", flush=True)
    print("\nThe same for round 4's faster variant (per-channel 0.2, T2/SPE 1, 0.05, 0.2), with TEP:")
    fast = dict(BASE, **ROUND6, **FAST)
    for factor in [1.0, 1.1, 1.12, 1.14, 1.2]:
        f1, skab_far, mar = skab_counts(skab, fast, factor)
        far, pre, fdr17, delay, _ = tep_row(tep, fast, factor)
        print(f"  limit x {factor:<4}  F1 {f1:.3f}  FAR {skab_far:6.2f}  MAR {mar:6.2f}   TEP {far:5.2f} "
              f"{pre:5.2f} {fdr17:6.2f} {delay:4.1f}", flush=True)
    print("\nRound 7: SKAB, default with an off-delay (alarm held N rows) and its limit scaled:")
    for rows, factor in [(5, 1.2), (10, 1.2), (20, 1.35), (40, 1.5), (40, 1.6)]:
        f1, skab_far, mar = skab_held(skab, dict(BASE, **ROUND7), factor, rows)
        print(f"  hold {rows:3d}  limit x {factor:<4}  F1 {f1:.3f}  FAR {skab_far:6.2f}  MAR {mar:6.2f}",
              flush=True)


if __name__ == "__main__":
    main()
