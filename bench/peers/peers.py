#!/usr/bin/env python3
"""Python peers for faultline's benchmarks (run with bench/peers/.venv/bin/python).

Subcommands
-----------
tep         --data DIR --out DIR
    The TEP fault-detection protocol (shared/data/tep/PROTOCOL.md) for scikit-learn PCA (T², SPE,
    T²-or-SPE; theoretical and empirical 99 % limits), pyod IForest and KNN, and river
    HalfSpaceTrees. Writes <out>/tep_peers.csv (same columns as faultline's tep.csv),
    <out>/tep_peers_delays.csv (per-fault delays) and <out>/tep_peers_meta.json.
skab        --data DIR --out DIR
    The SKAB outlier-detection leaderboard protocol (shared/data/skab/README.md): per labelled
    file, fit on the first 400 rows, score the rest, pool the test parts. scikit-learn PCA T² and
    T²+Q (theoretical 99 % limits), pyod IForest and KNN (empirical 99 % limit on the training
    part). Writes <out>/skab_peers.csv (same columns as faultline's skab.csv: method,f1,far,mar)
    and <out>/skab_peers_meta.json.
throughput  --samples N --out DIR
    The workload of faultline's `bench throughput`: seeded synthetic 52-channel data, fit on the
    first 10,000 rows, single-threaded scoring rate. Writes <out>/throughput_peers.csv and
    <out>/throughput_peers_meta.json.

Every peer is forced single-threaded: the BLAS/OpenMP thread variables are set to 1 below, before
numpy is imported, and threadpoolctl caps any pool that ignores them. OPENBLAS_CORETYPE and
OPENBLAS_L2_SIZE, if set in the environment, are left untouched (they are recorded in the meta
files).
"""

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
           "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[_v] = "1"

import argparse  # noqa: E402
import csv  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import socket  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import scipy  # noqa: E402
import sklearn  # noqa: E402
from scipy import signal, stats  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from threadpoolctl import threadpool_info, threadpool_limits  # noqa: E402

threadpool_limits(1)

N_VARS = 52
N_FAULTS = 21
ONSET = 160  # 0-based index of row 161, the first faulty row of dNN_te.dat
EXCLUDED_FROM_17 = (3, 9, 15, 21)
FDR17_SET = [k for k in range(1, N_FAULTS + 1) if k not in EXCLUDED_FROM_17]
ALPHA = 0.99
PCA_VARIANCE = 0.90
HST_WINDOW = 250
RUN_LENGTH = 3  # delay: first alarm followed by alarms on the next 2 samples

TEP_COLUMNS = (["method", "limit", "far_d00te", "far_pre"]
               + [f"fdr_{k}" for k in range(1, N_FAULTS + 1)]
               + ["fdr17", "fdr21", "delay_median"])
THROUGHPUT_COLUMNS = ["method", "mode", "samples", "seconds", "samples_per_s"]


# --------------------------------------------------------------------------------------------
# shared helpers


def versions():
    import pyod
    import river
    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "scikit-learn": sklearn.__version__,
        "pyod": pyod.__version__,
        "river": river.__version__,
    }


def environment():
    env = {k: os.environ.get(k) for k in (
        "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
        "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    return {
        "host": socket.gethostname(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "env": env,
        "threadpools": [{k: p.get(k) for k in ("internal_api", "num_threads", "version",
                                                "architecture")}
                        for p in threadpool_info()],
        "versions": versions(),
    }


def fmt_rate(x):
    return f"{x:.2f}"


def fmt_num(x):
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return ""
    return f"{x:g}"


def print_table(header, rows):
    cells = [[str(c) for c in header]] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    for j, r in enumerate(cells):
        print("  ".join(c.rjust(w) if i >= 2 else c.ljust(w)
                        for i, (c, w) in enumerate(zip(r, widths))))
        if j == 0:
            print("  ".join("-" * w for w in widths))


# --------------------------------------------------------------------------------------------
# TEP


def load_tep(data):
    data = Path(data)
    if not data.is_dir():
        sys.exit(f"peers.py: data directory not found: {data}")

    def load(name, shape):
        p = data / name
        if not p.is_file():
            sys.exit(f"peers.py: missing data file: {p}")
        a = np.loadtxt(p)
        if a.shape != shape:
            sys.exit(f"peers.py: {p}: expected shape {shape}, got {a.shape}")
        return a

    train = load("d00.dat", (N_VARS, 500)).T  # stored transposed: 52 x 500
    test0 = load("d00_te.dat", (960, N_VARS))
    faults = {k: load(f"d{k:02d}_te.dat", (960, N_VARS)) for k in range(1, N_FAULTS + 1)}
    return np.ascontiguousarray(train), test0, faults


def detection_delay(alarms):
    """Samples from index ONSET to the first alarm that starts a run of RUN_LENGTH alarms."""
    a = np.asarray(alarms[ONSET:], dtype=bool)
    if len(a) < RUN_LENGTH:
        return None
    run = a[: len(a) - RUN_LENGTH + 1].copy()
    for j in range(1, RUN_LENGTH):
        run &= a[j: len(a) - RUN_LENGTH + 1 + j]
    idx = np.flatnonzero(run)
    return int(idx[0]) if idx.size else None


def protocol_metrics(alarm_fn):
    """alarm_fn(name, X) -> bool array; returns (row dict, per-fault delays)."""
    d00te = alarm_fn("d00_te", TEST0)
    pre, fdr, delay = [], {}, {}
    for k in range(1, N_FAULTS + 1):
        a = alarm_fn(f"d{k:02d}_te", FAULTS[k])
        pre.append(a[:ONSET])
        fdr[k] = 100.0 * a[ONSET:].mean()
        delay[k] = detection_delay(a)
    pre = np.concatenate(pre)
    assert pre.size == 3360
    defined = [delay[k] for k in FDR17_SET if delay[k] is not None]
    row = {
        "far_d00te": 100.0 * d00te.mean(),
        "far_pre": 100.0 * pre.mean(),
        **{f"fdr_{k}": fdr[k] for k in range(1, N_FAULTS + 1)},
        "fdr17": float(np.mean([fdr[k] for k in FDR17_SET])),
        "fdr21": float(np.mean([fdr[k] for k in range(1, N_FAULTS + 1)])),
        "delay_median": float(np.median(defined)) if defined else None,
    }
    return row, delay


def jackson_mudholkar(resid_eigs, alpha=ALPHA):
    th1, th2, th3 = (float(np.sum(resid_eigs ** i)) for i in (1, 2, 3))
    h0 = 1.0 - 2.0 * th1 * th3 / (3.0 * th2 ** 2)
    ca = stats.norm.ppf(alpha)
    return th1 * (ca * np.sqrt(2.0 * th2 * h0 ** 2) / th1 + 1.0
                  + th2 * h0 * (h0 - 1.0) / th1 ** 2) ** (1.0 / h0)


def t2_limit_theoretical(a, n, alpha=ALPHA):
    return a * (n - 1) * (n + 1) / (n * (n - a)) * stats.f.ppf(alpha, a, n - a)


class PcaMonitor:
    """StandardScaler + sklearn PCA(n_components=0.90); T² and SPE."""

    def __init__(self, train, variance=PCA_VARIANCE):
        self.scaler = StandardScaler().fit(train)
        z = self.scaler.transform(train)
        self.pca = PCA(n_components=variance).fit(z)
        self.a = int(self.pca.n_components_)
        # Full spectrum of the covariance of the standardised training data, same ddof (n-1) as
        # pca.explained_variance_, so that T² and the SPE residual eigenvalues use one covariance.
        self.eigs = np.sort(np.linalg.eigvalsh(np.cov(z, rowvar=False, ddof=1)))[::-1]
        assert np.allclose(self.eigs[: self.a], self.pca.explained_variance_, rtol=1e-8)

    def stats(self, x):
        z = self.scaler.transform(x)
        t = self.pca.transform(z)
        t2 = np.sum(t * t / self.pca.explained_variance_, axis=1)
        r = z - self.pca.inverse_transform(t)
        spe = np.sum(r * r, axis=1)
        return t2, spe


def empirical_limit(train_scores):
    return float(np.quantile(np.asarray(train_scores, dtype=float), ALPHA))


def hst_rows(x, lo, span):
    s = (x - lo) / span
    names = [f"x{j + 1:02d}" for j in range(x.shape[1])]
    return [dict(zip(names, r)) for r in s.tolist()]


def minmax(train):
    lo = train.min(axis=0)
    span = train.max(axis=0) - lo
    span[span == 0] = 1.0
    return lo, span


def cmd_tep(args):
    global TEST0, FAULTS
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    t_all = time.perf_counter()
    t0 = time.perf_counter()
    train, TEST0, FAULTS = load_tep(args.data)
    t_load = time.perf_counter() - t0
    all_sets = {"d00": train, "d00_te": TEST0,
                **{f"d{k:02d}_te": FAULTS[k] for k in FAULTS}}

    rows, delays, meta, timings = [], [], {}, {"load_data": t_load}
    n = train.shape[0]

    def add(method, limit, row, dl):
        rows.append({"method": method, "limit": limit, **row})
        delays.append({"method": method, "limit": limit,
                       **{f"delay_{k}": dl[k] for k in range(1, N_FAULTS + 1)}})

    # ---- scikit-learn PCA -------------------------------------------------------------------
    t0 = time.perf_counter()
    mon = PcaMonitor(train)
    pstats = {name: mon.stats(x) for name, x in all_sets.items()}
    a = mon.a
    lim = {
        "theoretical": (t2_limit_theoretical(a, n), jackson_mudholkar(mon.eigs[a:])),
        "empirical": (empirical_limit(pstats["d00"][0]), empirical_limit(pstats["d00"][1])),
    }
    for limit in ("theoretical", "empirical"):
        t2l, spel = lim[limit]
        for method, fn in (
            ("sklearn-pca-t2", lambda nm, x: pstats[nm][0] > t2l),
            ("sklearn-pca-spe", lambda nm, x: pstats[nm][1] > spel),
            ("sklearn-pca-t2-or-spe",
             lambda nm, x: (pstats[nm][0] > t2l) | (pstats[nm][1] > spel)),
        ):
            add(method, limit, *protocol_metrics(fn))
    timings["sklearn-pca"] = time.perf_counter() - t0
    z0 = mon.scaler.transform(train)
    meta["sklearn-pca"] = {
        "n_train": n,
        "n_components": a,
        "explained_variance_ratio_cum": float(np.sum(mon.pca.explained_variance_ratio_)),
        "explained_variance_ratio_cum_at_a_minus_1":
            float(np.sum(mon.pca.explained_variance_ratio_[: a - 1])),
        "scaler_std_ddof": 0,
        "explained_variance_ddof": 1,
        "t2_limit_theoretical": lim["theoretical"][0],
        "spe_limit_theoretical": lim["theoretical"][1],
        "t2_limit_empirical": lim["empirical"][0],
        "spe_limit_empirical": lim["empirical"][1],
        "train_mean_t2": float(pstats["d00"][0].mean()),
        "train_far_t2_theoretical": float(100 * np.mean(pstats["d00"][0] > lim["theoretical"][0])),
        "train_far_spe_theoretical": float(100 * np.mean(pstats["d00"][1] > lim["theoretical"][1])),
        "standardised_train_var_ddof1": float(np.var(z0, axis=0, ddof=1).mean()),
        "svd_solver": mon.pca._fit_svd_solver,
    }

    # ---- pyod ---------------------------------------------------------------------------------
    from pyod.models.iforest import IForest
    from pyod.models.knn import KNN

    for method, make in (("pyod-iforest", lambda: IForest(random_state=0, n_jobs=1)),
                         ("pyod-knn", lambda: KNN(n_jobs=1))):
        t0 = time.perf_counter()
        clf = make().fit(z0)
        # Training scores: decision_scores_ (for KNN these are leave-self-out distances, i.e. the
        # same definition decision_function applies to a point that is not in the training set).
        limit_val = empirical_limit(clf.decision_scores_)
        scores = {nm: clf.decision_function(mon.scaler.transform(x))
                  for nm, x in all_sets.items() if nm != "d00"}
        add(method, "empirical", *protocol_metrics(lambda nm, x: scores[nm] > limit_val))
        timings[method] = time.perf_counter() - t0
        meta[method] = {"params": {k: v for k, v in clf.get_params().items()
                                   if isinstance(v, (int, float, str, type(None)))},
                        "limit_empirical": limit_val,
                        "limit_from_decision_function_on_train":
                            empirical_limit(clf.decision_function(z0))}

    # ---- river HalfSpaceTrees ---------------------------------------------------------------
    from river.anomaly import HalfSpaceTrees

    t0 = time.perf_counter()
    lo, span = minmax(train)
    hst = HalfSpaceTrees(window_size=args.hst_window, seed=0)
    train_rows = hst_rows(train, lo, span)
    for _ in range(args.hst_passes):
        for r in train_rows:
            hst.learn_one(r)
    train_scores = [hst.score_one(r) for r in train_rows]
    limit_val = empirical_limit(train_scores)
    scores = {nm: np.array([hst.score_one(r) for r in hst_rows(x, lo, span)])
              for nm, x in all_sets.items() if nm != "d00"}
    add("river-hst", "empirical", *protocol_metrics(lambda nm, x: scores[nm] > limit_val))
    timings["river-hst"] = time.perf_counter() - t0
    meta["river-hst"] = {"n_trees": hst.n_trees, "height": hst.height,
                         "window_size": hst.window_size, "seed": 0,
                         "passes_over_d00": args.hst_passes,
                         "scaling": "min-max from d00 per variable (test values may fall "
                                    "outside [0,1])",
                         "limit_empirical": limit_val,
                         "test_fraction_outside_0_1": float(np.mean(
                             [(((x - lo) / span) < 0).mean() + (((x - lo) / span) > 1).mean()
                              for nm, x in all_sets.items() if nm != "d00"]))}

    timings["total"] = time.perf_counter() - t_all

    # ---- write ----------------------------------------------------------------------------------
    with open(out / "tep_peers.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(TEP_COLUMNS)
        for r in rows:
            w.writerow([r["method"], r["limit"]]
                       + [fmt_rate(r[c]) for c in TEP_COLUMNS[2:-1]]
                       + [fmt_num(r["delay_median"])])
    with open(out / "tep_peers_delays.csv", "w", newline="") as f:
        w = csv.writer(f)
        cols = ["method", "limit"] + [f"delay_{k}" for k in range(1, N_FAULTS + 1)]
        w.writerow(cols)
        for r in delays:
            w.writerow([r["method"], r["limit"]] + [fmt_num(r[c]) for c in cols[2:]])
    with open(out / "tep_peers_meta.json", "w") as f:
        json.dump({"protocol": {"alpha": ALPHA, "onset_index": ONSET, "run_length": RUN_LENGTH,
                                "fdr17_set": FDR17_SET, "alarm": "statistic > limit"},
                   "methods": meta, "seconds": timings, "environment": environment()},
                  f, indent=2, default=float)

    print(f"TEP peers  (data {args.data}; PCA: {a} components of 52 at "
          f"{100 * meta['sklearn-pca']['explained_variance_ratio_cum']:.2f} % variance)")
    print_table(["method", "limit", "far_d00te", "far_pre", "fdr17", "fdr21", "delay_median"],
                [[r["method"], r["limit"], fmt_rate(r["far_d00te"]), fmt_rate(r["far_pre"]),
                  fmt_rate(r["fdr17"]), fmt_rate(r["fdr21"]), fmt_num(r["delay_median"])]
                 for r in rows])
    print("seconds: " + ", ".join(f"{k} {v:.2f}" for k, v in timings.items()))
    print(f"wrote {out / 'tep_peers.csv'}")


# --------------------------------------------------------------------------------------------
# SKAB

SKAB_TRAIN_ROWS = 400
SKAB_FOLDERS = ("valve1", "valve2", "other")
SKAB_COLUMNS = ["method", "f1", "far", "mar"]


def load_skab(data):
    """The 34 labelled files as (name, X (rows x 8), anomaly labels), in folder/number order."""
    data = Path(data)
    if not data.is_dir():
        sys.exit(f"peers.py: SKAB data directory not found: {data}")
    files = []
    for folder in SKAB_FOLDERS:
        paths = sorted((data / folder).glob("*.csv"), key=lambda p: int(p.stem))
        for p in paths:
            with open(p, newline="") as f:
                rows = list(csv.reader((line.rstrip("\r\n") for line in f), delimiter=";"))
            header, body = rows[0], [r for r in rows[1:] if r]
            cols = [header.index(c) for c in header if c not in ("datetime", "anomaly",
                                                                  "changepoint")]
            x = np.array([[float(r[c]) for c in cols] for r in body])
            y = np.array([float(r[header.index("anomaly")]) > 0.5 for r in body])
            files.append((f"{folder}/{p.name}", x, y))
    if len(files) != 34:
        sys.exit(f"peers.py: {data}: found {len(files)} labelled files, the protocol expects 34")
    return files


def skab_row(method, parts):
    tp = fp = fn = tn = 0
    for pred, lab in parts:
        tp += int(np.sum(pred & lab))
        fp += int(np.sum(pred & ~lab))
        fn += int(np.sum(~pred & lab))
        tn += int(np.sum(~pred & ~lab))
    return {"method": method,
            "f1": 2 * tp / (2 * tp + fn + fp) if tp + fn + fp else 0.0,
            "far": 100.0 * fp / (fp + tn) if fp + tn else 0.0,
            "mar": 100.0 * fn / (fn + tp) if fn + tp else 0.0}


def cmd_skab(args):
    from pyod.models.iforest import IForest
    from pyod.models.knn import KNN

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    t_all = time.perf_counter()
    files = load_skab(args.data)
    parts = {m: [] for m in ("sklearn-pca-t2", "sklearn-pca-t2+q", "pyod-iforest", "pyod-knn")}
    components = []
    for _name, x, y in files:
        train, test, lab = x[:SKAB_TRAIN_ROWS], x[SKAB_TRAIN_ROWS:], y[SKAB_TRAIN_ROWS:]
        mon = PcaMonitor(train)
        components.append(mon.a)
        n, a = train.shape[0], mon.a
        t2l, ql = t2_limit_theoretical(a, n), jackson_mudholkar(mon.eigs[a:])
        t2, q = mon.stats(test)
        parts["sklearn-pca-t2"].append((t2 > t2l, lab))
        parts["sklearn-pca-t2+q"].append(((t2 > t2l) | (q > ql), lab))
        z0, zt = mon.scaler.transform(train), mon.scaler.transform(test)
        for method, make in (("pyod-iforest", lambda: IForest(random_state=0, n_jobs=1)),
                             ("pyod-knn", lambda: KNN(n_jobs=1))):
            clf = make().fit(z0)
            limit = empirical_limit(clf.decision_scores_)
            parts[method].append((clf.decision_function(zt) > limit, lab))
    rows = [skab_row(m, p) for m, p in parts.items()]
    seconds = time.perf_counter() - t_all
    with open(out / "skab_peers.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(SKAB_COLUMNS)
        for r in rows:
            w.writerow([r["method"], f"{r['f1']:.3f}", fmt_rate(r["far"]), fmt_rate(r["mar"])])
    with open(out / "skab_peers_meta.json", "w") as f:
        json.dump({"protocol": {"train_rows": SKAB_TRAIN_ROWS, "files": len(files),
                                "alpha": ALPHA, "pca_variance": PCA_VARIANCE,
                                "limits": "PCA theoretical (F, Jackson-Mudholkar); pyod "
                                          "empirical quantile of training decision scores"},
                   "pca_components_per_file": components, "seconds": seconds,
                   "environment": environment()}, f, indent=2, default=float)
    print(f"SKAB peers  (data {args.data}; {len(files)} files, first {SKAB_TRAIN_ROWS} rows "
          f"of each for training)")
    print_table(SKAB_COLUMNS, [[r["method"], f"{r['f1']:.3f}", fmt_rate(r["far"]),
                                fmt_rate(r["mar"])] for r in rows])
    print(f"wrote {out / 'skab_peers.csv'}")


# --------------------------------------------------------------------------------------------
# throughput


N_TRAIN = 10_000
N_LATENT = 6
PHI = 0.8
NOISE = 0.1
SEED = 7


class Synthetic:
    """52 channels = 6 AR(1) latent factors (phi 0.8, unit innovations) x random loadings
    + 0.1 white noise; numpy default_rng(7). Rows are produced in order, chunk by chunk."""

    def __init__(self, seed=SEED):
        self.rng = np.random.default_rng(seed)
        self.loadings = self.rng.standard_normal((N_LATENT, N_VARS))
        self.zi = np.zeros((1, N_LATENT))

    def take(self, m):
        e = self.rng.standard_normal((m, N_LATENT))
        f, self.zi = signal.lfilter([1.0], [1.0, -PHI], e, axis=0, zi=self.zi)
        return f @ self.loadings + NOISE * self.rng.standard_normal((m, N_VARS))


def cmd_throughput(args):
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    n_big, n_small = args.samples, args.samples_small
    chunk = args.chunk
    gen = Synthetic()
    train = gen.take(N_TRAIN)
    # the scoring stream: rows N_TRAIN .. N_TRAIN + n_big of the same generator
    head = gen.take(max(n_small, min(chunk, n_big)))
    results, meta = [], {}

    # ---- sklearn PCA batch: scaler.transform + pca.transform + inverse_transform + T² + SPE -----
    scaler = StandardScaler().fit(train)
    pca = PCA(n_components=PCA_VARIANCE).fit(scaler.transform(train))
    inv_var = 1.0 / pca.explained_variance_

    def score_pca(x):
        z = scaler.transform(x)
        t = pca.transform(z)
        t2 = np.sum(t * t * inv_var, axis=1)
        r = z - pca.inverse_transform(t)
        spe = np.sum(r * r, axis=1)
        return t2, spe

    # The scoring rows are generated up front (not timed; n_big x 52 float64 = 416 bytes/row)
    # and scored in chunks; the whole pass is timed --repeat times and the fastest is reported.
    rows = np.empty((n_big, N_VARS))
    done = min(len(head), n_big)
    rows[:done] = head[:done]
    while done < n_big:
        m = min(chunk, n_big - done)
        rows[done:done + m] = gen.take(m)
        done += m
    score_pca(head[:1000])  # warm-up (not timed)
    runs = []
    for _ in range(args.repeat):
        checksum = 0.0
        t0 = time.perf_counter()
        for i in range(0, n_big, chunk):
            t2, spe = score_pca(rows[i:i + chunk])
            checksum += float(t2.sum() + spe.sum())
        runs.append(time.perf_counter() - t0)
    del rows
    results.append(("sklearn-pca", "batch", n_big, min(runs)))
    meta["sklearn-pca"] = {"n_components": int(pca.n_components_),
                           "svd_solver": pca._fit_svd_solver, "chunk": chunk,
                           "seconds_per_repeat": runs,
                           "checksum_mean_t2_plus_spe": checksum / n_big}

    xs = head[:n_small]

    # ---- pyod batch -------------------------------------------------------------------------
    from pyod.models.iforest import IForest
    from pyod.models.knn import KNN

    ztrain = scaler.transform(train)
    for method, make in (("pyod-iforest", lambda: IForest(random_state=0, n_jobs=1)),
                         ("pyod-knn", lambda: KNN(n_jobs=1))):
        t0 = time.perf_counter()
        clf = make().fit(ztrain)
        fit_s = time.perf_counter() - t0
        clf.decision_function(scaler.transform(xs[:100]))  # warm-up
        runs = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            s = clf.decision_function(scaler.transform(xs))
            runs.append(time.perf_counter() - t0)
        results.append((method, "batch", n_small, min(runs)))
        meta[method] = {"fit_seconds": fit_s, "score_mean": float(np.mean(s)),
                        "seconds_per_repeat": runs}

    # ---- river HST streaming: score_one per sample, dict input ------------------------------
    from river.anomaly import HalfSpaceTrees

    lo, span = minmax(train)
    hst = HalfSpaceTrees(window_size=HST_WINDOW, seed=0)
    t0 = time.perf_counter()
    for r in hst_rows(train, lo, span):
        hst.learn_one(r)
    fit_s = time.perf_counter() - t0
    stream = hst_rows(xs, lo, span)  # scaling + dict building not timed
    for r in stream[:100]:
        hst.score_one(r)  # warm-up
    score_one = hst.score_one
    runs = []
    for _ in range(args.repeat):
        acc = 0.0
        t0 = time.perf_counter()
        for r in stream:
            acc += score_one(r)
        runs.append(time.perf_counter() - t0)
    results.append(("river-hst", "streaming", n_small, min(runs)))
    meta["river-hst"] = {"window_size": HST_WINDOW, "learn_seconds_10k": fit_s,
                         "score_mean": acc / n_small, "seconds_per_repeat": runs,
                         "timed": "score_one only; min-max scaling and dict building excluded"}

    with open(out / "throughput_peers.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(THROUGHPUT_COLUMNS)
        for method, mode, n, s in results:
            w.writerow([method, mode, n, f"{s:.4f}", f"{n / s:.0f}"])
    with open(out / "throughput_peers_meta.json", "w") as f:
        json.dump({"workload": {"n_train": N_TRAIN, "latent": N_LATENT, "phi": PHI,
                                "noise": NOISE, "seed": SEED, "channels": N_VARS},
                   "methods": meta, "environment": environment()}, f, indent=2, default=float)

    print(f"throughput peers  (single thread; fit on {N_TRAIN} rows; "
          f"sklearn PCA {pca.n_components_} components; fastest of {args.repeat} runs)")
    print_table(THROUGHPUT_COLUMNS,
                [[m, mode, n, f"{s:.3f}", f"{n / s:,.0f}"] for m, mode, n, s in results])
    print(f"wrote {out / 'throughput_peers.csv'}")


def main():
    warnings.filterwarnings("ignore", category=FutureWarning)
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("tep", help="TEP detection protocol for the peers")
    t.add_argument("--data", required=True, help="directory with d00.dat, d00_te.dat, dNN_te.dat")
    t.add_argument("--out", required=True)
    t.add_argument("--hst-window", type=int, default=HST_WINDOW,
                   help="HalfSpaceTrees window_size (default %(default)s)")
    t.add_argument("--hst-passes", type=int, default=1,
                   help="learn_one passes over d00 (default %(default)s; more passes do not "
                        "change the reference mass when 500 is a multiple of the window)")
    k = sub.add_parser("skab", help="SKAB outlier-detection leaderboard protocol for the peers")
    k.add_argument("--data", required=True, help="SKAB data folder (valve1/, valve2/, other/)")
    k.add_argument("--out", required=True)
    h = sub.add_parser("throughput", help="single-threaded scoring throughput of the peers")
    h.add_argument("--samples", type=int, default=2_000_000, help="sklearn-pca batch samples")
    h.add_argument("--samples-small", type=int, default=20_000,
                   help="samples for pyod batch and river streaming (default %(default)s)")
    h.add_argument("--chunk", type=int, default=100_000, help="sklearn-pca batch chunk size")
    h.add_argument("--repeat", type=int, default=3,
                   help="timed repeats of each run; the fastest is reported (default %(default)s)")
    h.add_argument("--out", required=True)
    args = p.parse_args()
    {"tep": cmd_tep, "skab": cmd_skab, "throughput": cmd_throughput}[args.cmd](args)


if __name__ == "__main__":
    main()
