"""Duplicate detection benchmark: quality on the labelled record-linkage sets, and a full scan of
a synthetic million people for time, memory and quality.

1. Quality. `civicdesk.dedupe.evaluate.evaluate()` (what `civicdesk dedupe evaluate` runs) on
   ../shared/data/record-linkage at the shipped threshold, with the mappings in bench/linkage/:
   FEBRL 1, 2, 3 and 4 (4a and 4b concatenated into one file; the truth is the 5,000 cross
   pairs), splink fake_1000 (truth: the pairs within each `cluster`) and the Chicago childcare
   sites (truth: the pairs within each `True Id`). The truth files of the last two are written
   into a temporary folder from those columns. Targets (issue 8): F1 >= 0.99 on FEBRL,
   >= 0.91 on fake_1000, >= 0.90 on Chicago.
2. Scan. A seeded synthetic set of people like a voter file joined with a CRM: names with a
   long tail of invented surnames, birth dates, households (a shared address, surname and
   sometimes phone), emails, phones, voter ids; about 5% of the people have a duplicate record
   with realistic damage (typos, nicknames, swapped names, a moved address, missing fields, an
   id typed wrong or absent). `engine.find_pairs` runs on it in a child process, which reports
   the wall time (blocking, learning, comparing: everything after the records exist), its peak
   memory (getrusage maxrss) and precision/recall/F1 on the planted pairs. Targets: <= 180 s
   and <= 5 GiB at 1,000,000 people on two cores.

    .venv/bin/python bench/bench_dedupe.py                 # quality + 1,000,000 people
    .venv/bin/python bench/bench_dedupe.py --quick         # quality + 100,000 people
    .venv/bin/python bench/bench_dedupe.py --people 300000 --skip-quality

Writes bench/results/dedupe-*.json. Figures are printed, never asserted.
"""

import argparse
import csv
import itertools
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
DATA = REPO.parent / "shared" / "data" / "record-linkage"
LINKAGE = BENCH_DIR / "linkage"
sys.path.insert(0, str(REPO))

TARGETS = {"febrl": 0.99, "fake_1000": 0.91, "chicago": 0.90}
SCAN_TARGET_SECONDS = 180
SCAN_TARGET_GIB = 5.0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=1_000_000, help="People in the scan.")
    parser.add_argument("--quick", action="store_true", help="Scan 100,000 people.")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--duplicate-rate", type=float, default=0.05)
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--skip-scan", action="store_true")
    parser.add_argument("--scan-child", action="store_true", help=argparse.SUPPRESS)
    args, ignored = parser.parse_known_args()
    if ignored:
        print(f"(bench_dedupe ignores {' '.join(ignored)})")
    if args.quick:
        args.people = 100_000
    return args


# ---------------------------------------------------------------- quality


def _cluster_truth(path: Path, id_column: str, cluster_column: str, out: Path) -> int:
    clusters = defaultdict(list)
    with path.open(newline="", encoding="utf-8", errors="replace") as handle:
        for row in csv.DictReader(handle):
            clusters[row[cluster_column].strip()].append(row[id_column].strip())
    pairs = [p for ids in clusters.values() for p in itertools.combinations(sorted(ids), 2)]
    with out.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id_1", "id_2"])
        writer.writerows(pairs)
    return len(pairs)


def _concatenated(parts: list[Path], out: Path) -> Path:
    with out.open("w", encoding="utf-8") as handle:
        for number, part in enumerate(parts):
            lines = part.read_text(encoding="utf-8").splitlines()
            handle.writelines(line + "\n" for line in (lines if number == 0 else lines[1:]))
    return out


def quality_sets(folder: Path) -> list[tuple[str, str, Path, Path, Path]]:
    """(name, target key, file, truth, mapping) of each labelled set."""
    febrl = DATA / "febrl"
    sets = [
        (f"FEBRL {n}", "febrl", febrl / f"dataset{n}.csv", febrl / f"true_matches_dataset{n}.csv",
         LINKAGE / "febrl.json")
        for n in (1, 2, 3)
    ]  # fmt: skip
    sets.append((
        "FEBRL 4 (4a+4b)", "febrl",
        _concatenated([febrl / "dataset4a.csv", febrl / "dataset4b.csv"], folder / "febrl4.csv"),
        febrl / "true_matches_dataset4a_4b.csv", LINKAGE / "febrl.json",
    ))  # fmt: skip
    fake = DATA / "splink-fake-1000" / "fake_1000.csv"
    _cluster_truth(fake, "unique_id", "cluster", folder / "fake_1000_pairs.csv")
    sets.append(("splink fake_1000", "fake_1000", fake, folder / "fake_1000_pairs.csv",
                 LINKAGE / "splink_fake_1000.json"))  # fmt: skip
    chicago = DATA / "dedupe-chicago-early-childhood" / "csv_example_input_with_true_ids.csv"
    _cluster_truth(chicago, "Id", "True Id", folder / "chicago_pairs.csv")
    sets.append(("Chicago childcare", "chicago", chicago, folder / "chicago_pairs.csv",
                 LINKAGE / "chicago_childcare.json"))  # fmt: skip
    return sets


def run_quality() -> list[dict]:
    import io

    from civicdesk.dedupe.engine import SHIPPED_THRESHOLD
    from civicdesk.dedupe.evaluate import evaluate

    print(f"quality at the shipped threshold {SHIPPED_THRESHOLD}:")
    print(f"  {'set':22s} {'people':>7s} {'true':>6s} {'found':>6s} {'precision':>9s} "
          f"{'recall':>7s} {'F1':>6s} {'target':>7s} {'seconds':>7s}")  # fmt: skip
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-dedupe-") as folder:
        for name, key, path, truth, mapping in quality_sets(Path(folder)):
            scores = evaluate(path, truth, mapping, out=io.StringIO())
            target = TARGETS[key]
            print(f"  {name:22s} {scores.records:7,d} {scores.true_pairs:6,d} "
                  f"{scores.found_pairs:6,d} {scores.precision:9.3f} {scores.recall:7.3f} "
                  f"{scores.f1:6.3f} {'>= ' + str(target):>7s} {scores.seconds:7.1f}"
                  f"{'' if scores.f1 >= target else '  UNDER'}", flush=True)  # fmt: skip
            rows.append({
                "set": name, "people": scores.records, "true_pairs": scores.true_pairs,
                "found_pairs": scores.found_pairs, "correct": scores.true_positives,
                "precision": round(scores.precision, 4), "recall": round(scores.recall, 4),
                "f1": round(scores.f1, 4), "target_f1": target, "seconds": round(scores.seconds, 2),
            })  # fmt: skip
    return rows


# ---------------------------------------------------------------- synthetic people


def _words(text: str) -> list[str]:
    return text.split()


FIRST_NAMES_F = _words(
    "mary patricia jennifer linda elizabeth barbara susan jessica sarah karen lisa nancy betty "
    "margaret sandra ashley kimberly emily donna michelle carol amanda dorothy melissa deborah "
    "stephanie rebecca sharon laura cynthia kathleen amy angela shirley anna brenda pamela emma "
    "nicole helen samantha katherine christine debra rachel carolyn janet catherine maria "
    "heather diane ruth julie olivia joyce virginia victoria kelly lauren christina joan evelyn "
    "judith megan andrea cheryl hannah jacqueline martha gloria teresa ann sara madison frances "
    "kathryn janice jean abigail alice judy sophia grace denise amber doris marilyn danielle "
    "beverly isabella theresa diana natalie brittany charlotte marie kayla alexis lori"
)
FIRST_NAMES_M = _words(
    "james robert john michael david william richard joseph thomas charles christopher daniel "
    "matthew anthony mark donald steven paul andrew joshua kenneth kevin brian george timothy "
    "ronald edward jason jeffrey ryan jacob gary nicholas eric jonathan stephen larry justin "
    "scott brandon benjamin samuel gregory alexander frank patrick raymond jack dennis jerry "
    "tyler aaron jose adam nathan henry douglas zachary peter kyle ethan walter noah jeremy "
    "christian keith roger terry gerald harold sean austin carl arthur lawrence dylan jesse "
    "jordan bryan billy joe bruce gabriel logan albert willie alan juan wayne elijah randy roy "
    "vincent ralph eugene russell bobby mason philip louis"
)
SURNAMES = _words(
    "smith johnson williams brown jones garcia miller davis rodriguez martinez hernandez lopez "
    "gonzalez wilson anderson thomas taylor moore jackson martin lee perez thompson white harris "
    "sanchez clark ramirez lewis robinson walker young allen king wright scott torres nguyen "
    "hill flores green adams nelson baker hall rivera campbell mitchell carter roberts gomez "
    "phillips evans turner diaz parker cruz edwards collins reyes stewart morris morales murphy "
    "cook rogers gutierrez ortiz morgan cooper peterson bailey reed kelly howard ramos kim cox "
    "ward richardson watson brooks chavez wood james bennett gray mendoza ruiz hughes price "
    "alvarez castillo sanders patel myers long ross foster jimenez powell jenkins perry russell "
    "sullivan bell coleman butler henderson barnes gonzales fisher vasquez simmons romero jordan "
    "patterson alexander hamilton graham reynolds griffin wallace moreno west cole hayes bryant "
    "herrera gibson ellis tran medina aguilar stevens murray ford castro marshall owens harrison"
)
NICKNAMES = {
    "robert": "bob", "william": "bill", "richard": "rick", "james": "jim", "john": "jack",
    "michael": "mike", "joseph": "joe", "thomas": "tom", "charles": "charlie", "daniel": "dan",
    "elizabeth": "liz", "margaret": "peggy", "katherine": "kate", "patricia": "pat",
    "jennifer": "jen", "christopher": "chris", "matthew": "matt", "anthony": "tony",
    "steven": "steve", "andrew": "andy", "kenneth": "ken", "timothy": "tim", "edward": "ed",
    "jeffrey": "jeff", "nicholas": "nick", "samuel": "sam", "alexander": "alex",
    "deborah": "debbie", "susan": "sue", "rebecca": "becky", "victoria": "vicky",
}  # fmt: skip
SYLLABLES = _words(
    "ab al an ar as ba be bo bra ca ce cha chi co da de di do dra el en er es fa fe fi fo ga "
    "ge gi go gra ha he hi ho ia in is ja je jo ka ke ki ko la le li lo lu ma me mi mo mu na "
    "ne ni no nu o pa pe pi po ra re ri ro ru sa se si so ta te ti to tra u va ve vi wa we wi "
    "ya yo za ze zi ski son sen berg man ley ton ford well wood"
)
STREETS = _words(
    "main oak pine maple cedar elm washington lake hill park view ridge sunset lincoln jackson "
    "church spring river highland forest meadow willow chestnut walnut franklin adams jefferson "
    "madison center mill north south school valley broad market union court liberty pleasant "
    "prospect grove academy bridge cherry dogwood hickory laurel magnolia poplar sycamore"
)
STREET_TYPES = ("st", "ave", "rd", "dr", "ln", "ct", "blvd", "way", "pl", "cir")
CITIES = 400
DOMAINS = ("gmail.com", "yahoo.com", "hotmail.com", "aol.com", "outlook.com", "icloud.com",
           "comcast.net", "verizon.net")  # fmt: skip
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _zipf_choice(rng: np.random.Generator, items: list, size: int, exponent: float) -> list:
    weights = 1.0 / np.arange(1, len(items) + 1) ** exponent
    return [items[k] for k in rng.choice(len(items), size=size, p=weights / weights.sum())]


def _typo(rng: np.random.Generator, text: str) -> str:
    if len(text) < 3:
        return text
    k = int(rng.integers(1, len(text)))
    kind = rng.integers(4)
    if kind == 0:
        return text[:k] + text[k + 1 :]  # deletion
    if kind == 1:
        return text[:k] + LETTERS[rng.integers(26)] + text[k:]  # insertion
    if kind == 2:
        return text[:k] + LETTERS[rng.integers(26)] + text[k + 1 :]  # substitution
    return text[: k - 1] + text[k] + text[k - 1] + text[k + 1 :]  # transposition


def synthetic_people(n: int, *, seed: int, duplicate_rate: float):
    """(records, true pairs as (id, id)) with about `duplicate_rate` of the people duplicated."""
    from civicdesk.dedupe.engine import Record

    rng = np.random.default_rng(seed)
    originals = int(n / (1 + duplicate_rate * 1.1))
    invented = sorted({
        "".join(rng.choice(SYLLABLES, size=int(rng.integers(2, 4))))
        for _ in range(max(2000, originals // 6))
    })  # fmt: skip
    rng.shuffle(invented)
    surname_pool = SURNAMES + invented
    last_names = _zipf_choice(rng, surname_pool, originals, 0.85)
    female = rng.random(originals) < 0.52
    first_f = _zipf_choice(rng, FIRST_NAMES_F, originals, 0.9)
    first_m = _zipf_choice(rng, FIRST_NAMES_M, originals, 0.9)
    start = date(1930, 1, 1).toordinal()
    births = rng.integers(start, date(2006, 12, 31).toordinal(), size=originals)
    postcodes = [
        f"{z:05d}" for z in rng.choice(np.arange(10000, 99999), size=CITIES * 4, replace=False)
    ]
    city_names = sorted({"".join(rng.choice(SYLLABLES, size=3)) for _ in range(CITIES * 2)})[
        :CITIES
    ]
    people = []
    household_left = 0
    for k in range(originals):
        if household_left == 0 or rng.random() < 0.1:
            city = int(rng.integers(CITIES))
            address = (
                f"{int(rng.integers(1, 9999))} {STREETS[int(rng.integers(len(STREETS)))]} "
                f"{STREET_TYPES[int(rng.integers(len(STREET_TYPES)))]}",
                city_names[city], postcodes[city * 4 + int(rng.integers(4))],
            )  # fmt: skip
            landline = (
                f"{int(rng.integers(201, 989))}{int(rng.integers(2000000, 9999999))}"
                if rng.random() < 0.3
                else ""
            )
            household_left = int(rng.choice([1, 2, 3, 4, 5], p=[0.45, 0.3, 0.13, 0.08, 0.04]))
            household_name = last_names[k]
        household_left -= 1
        last = household_name if rng.random() < 0.8 else last_names[k]
        first = first_f[k] if female[k] else first_m[k]
        born = date.fromordinal(int(births[k]))
        email = (
            f"{first}.{last}{int(rng.integers(100))}@{DOMAINS[int(rng.integers(len(DOMAINS)))]}"
            if rng.random() < 0.55
            else ""
        )
        mobile = (
            f"{int(rng.integers(201, 989))}{int(rng.integers(2000000, 9999999))}"
            if rng.random() < 0.5
            else ""
        )
        phones = tuple(p for p in (mobile, landline) if p)
        people.append({
            "first": first, "middle": LETTERS[int(rng.integers(26))] if rng.random() < 0.4 else "",
            "last": last, "born": born, "gender": "f" if female[k] else "m",
            "emails": (email,) if email else (), "phones": phones, "address": address,
            "voter": f"voter:{int(rng.integers(10**7, 10**8))}" if rng.random() < 0.9 else "",
        })  # fmt: skip
    records = [_record(Record, f"p{k}", person) for k, person in enumerate(people)]
    truth = []
    dup_number = 0
    while len(records) < n:
        k = int(rng.integers(originals))
        copy = _damaged(rng, dict(people[k]), city_names, postcodes)
        dup_id = f"d{dup_number}"
        dup_number += 1
        records.append(_record(Record, dup_id, copy))
        truth.append((f"p{k}", dup_id))
    # Two duplicates of one person are a pair too.
    by_original = defaultdict(list)
    for original, dup in truth:
        by_original[original].append(dup)
    for dups in by_original.values():
        truth.extend(itertools.combinations(dups, 2))
    order = rng.permutation(len(records))
    return [records[k] for k in order], {tuple(sorted(p)) for p in truth}


def _record(Record, id_, p):  # noqa: N803
    born = p["born"]
    return Record(
        id=id_, first_name=p["first"], middle_name=p["middle"], last_name=p["last"],
        birth_date=born.isoformat() if born else "", birth_year=born.year if born else None,
        gender=p["gender"], emails=p["emails"], phones=p["phones"],
        line1=p["address"][0], city=p["address"][1], postcode=p["address"][2],
        external_ids=(p["voter"],) if p["voter"] else (),
    )  # fmt: skip


def _damaged(rng, p, city_names, postcodes):
    """A second record of the same person, entered elsewhere: damage as in real data."""
    roll = rng.random
    if roll() < 0.25:
        p["first"] = _typo(rng, p["first"])
    elif roll() < 0.2 and p["first"] in NICKNAMES:
        p["first"] = NICKNAMES[p["first"]]
    if roll() < 0.2:
        p["last"] = _typo(rng, p["last"])
    if roll() < 0.02:
        p["first"], p["last"] = p["last"], p["first"]
    if roll() < 0.1:
        p["first"] = ""
    if roll() < 0.5:
        p["middle"] = ""
    born = p["born"]
    damage = roll()
    if damage < 0.25:
        born = None
    elif damage < 0.35:
        born = born + timedelta(days=int(rng.choice([-1, 1, -31, 31, -365, 365])))
    elif damage < 0.38 and born.day <= 12:
        born = date(born.year, born.day, born.month)
    p["born"] = born
    if roll() < 0.3:  # moved
        city = int(rng.integers(len(city_names)))
        p["address"] = (
            f"{int(rng.integers(1, 9999))} {STREETS[int(rng.integers(len(STREETS)))]} "
            f"{STREET_TYPES[int(rng.integers(len(STREET_TYPES)))]}",
            city_names[city], postcodes[city * 4 + int(rng.integers(4))],
        )  # fmt: skip
    elif roll() < 0.2:
        line, city, postcode = p["address"]
        p["address"] = (_typo(rng, line), city, postcode)
    elif roll() < 0.15:
        p["address"] = ("", "", "")
    if roll() < 0.4:
        p["emails"] = ()
    elif roll() < 0.15 and p["emails"]:
        p["emails"] = (_typo(rng, p["emails"][0]),)
    if roll() < 0.4:
        p["phones"] = ()
    if roll() < 0.6:
        p["voter"] = ""
    elif roll() < 0.1 and p["voter"]:
        p["voter"] = "voter:" + _typo(rng, p["voter"][6:])
    return p


# ---------------------------------------------------------------- the scan


def scan_child(args: argparse.Namespace) -> None:
    """Runs in its own process so that maxrss is the scan's own."""
    from civicdesk.dedupe import engine

    started = time.perf_counter()
    records, truth = synthetic_people(
        args.people, seed=args.seed, duplicate_rate=args.duplicate_rate
    )
    generated = time.perf_counter() - started
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    stages: dict[str, float] = {}
    marks = {"start": time.perf_counter()}

    def progress(done: int, total: int) -> None:
        for limit, stage in ((10, "blocking"), (30, "learning"), (100, "comparing")):
            if done >= limit and stage not in stages:
                stages[stage] = time.perf_counter() - marks["start"]

    started = time.perf_counter()
    pairs = engine.find_pairs(records, progress=progress)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    found = {tuple(sorted((str(p.a), str(p.b)))) for p in pairs}
    correct = len(found & truth)
    precision = correct / len(found) if found else 0.0
    recall = correct / len(truth) if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if correct else 0.0
    print(json.dumps({
        "people": len(records), "true_pairs": len(truth), "found_pairs": len(found),
        "correct": correct, "precision": round(precision, 4), "recall": round(recall, 4),
        "f1": round(f1, 4), "seconds": round(seconds, 1), "generate_seconds": round(generated, 1),
        "stages_cumulative_seconds": {k: round(v, 1) for k, v in stages.items()},
        "peak_rss_gib": round(peak, 2), "rss_after_generating_gib": round(rss_before, 2),
    }))  # fmt: skip


def run_scan(args: argparse.Namespace) -> dict:
    print(f"\nscan of {args.people:,} synthetic people (seed {args.seed}, "
          f"{args.duplicate_rate:.0%} duplicated), in a child process:", flush=True)  # fmt: skip
    command = [sys.executable, __file__, "--scan-child", "--people", str(args.people),
               "--seed", str(args.seed), "--duplicate-rate", str(args.duplicate_rate)]  # fmt: skip
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    result = json.loads(output.strip().splitlines()[-1])
    print(f"  generated in {result['generate_seconds']} s (not counted)")
    print(
        f"  find_pairs: {result['seconds']} s (target <= {SCAN_TARGET_SECONDS} s at 1M); "
        f"stages (cumulative) {result['stages_cumulative_seconds']}"
    )
    print(
        f"  peak memory {result['peak_rss_gib']} GiB (target <= {SCAN_TARGET_GIB}); "
        f"{result['rss_after_generating_gib']} GiB held by the records before the scan"
    )
    print(f"  planted pairs {result['true_pairs']:,}, found {result['found_pairs']:,}, correct "
          f"{result['correct']:,}: precision={result['precision']:.3f} "
          f"recall={result['recall']:.3f} f1={result['f1']:.3f}")  # fmt: skip
    return result


def main() -> int:
    args = parse_args()
    if args.scan_child:
        scan_child(args)
        return 0
    report: dict = {
        "benchmark": "dedupe",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average": os.getloadavg(),
        },  # fmt: skip
        "revision": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
        ).stdout.strip(),  # fmt: skip
    }
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    if not args.skip_quality:
        report["quality"] = run_quality()
    if not args.skip_scan:
        report["scan"] = run_scan(args)
    report["load_average_after"] = os.getloadavg()
    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    out = RESULTS_DIR / f"dedupe-{stamp}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwrote {out.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
