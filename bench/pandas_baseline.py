"""The month-end close an analyst would write in pandas instead of running fiber-capex.

The yardstick of `npm run bench:pandas`: it reads the same snapshot folder (projects.json and
tasks.jsonl) and the same rules file, and writes the two files an analyst needs most, plus a
workbook of them.

What it does:
- reads tasks.jsonl line by line with json.loads, keeping the columns it uses;
- keeps approved tasks (approved_date present), dates each in its project's time zone, and
  keeps those in service by the period end;
- maps each task type to its class and life through the rules file (capitalize only);
- prices each task: unit lines' amounts, else quantity x the line's rate, else quantity x the
  rate card's rate for the unit code in force on the in-service date (pandas.merge_asof); a
  task without unit lines at its quantity x the task type's rate; each line rounded to cents;
- drops tasks below the capitalization threshold and the per-unit thresholds;
- depreciates the GL book: straight line, full-month convention, zero salvage, accumulated
  through the period and the period's amount as the difference of two rounded cumulatives;
- writes register.csv and depreciation.csv (pandas.to_csv), and with --workbook a two-sheet
  workbook of the same rows via xlsxwriter (pandas.ExcelWriter, default formats).

What it does not do (fiber-capex does all of these): money is float, not exact cents; no
validation of any field (a malformed line stops it with a traceback); no exceptions list, no
expensed or no-effect tasks, no duplicate asset ids; no register of earlier closes, no
adjustments, no disposals; no tax book; no journal, no rollforward, no identities or ties; no
cost elements, no additions file; no formula-injection neutralising or RFC 4180 CRLF; no
manifest or hashes; no atomic output folder.

Needs pandas, xlsxwriter and PyYAML for python3 (Debian: apt-get install -y python3-pandas
python3-xlsxwriter python3-yaml); npm ci does not install them.

It prints a JSON line: assets, total cost and period depreciation (to check it did the same
close), and its peak RSS in MB.

usage: pandas_baseline.py SNAPSHOT_DIR PERIOD OUT_DIR RULES_FILE [--workbook]
"""

import json
import os
import resource
import sys

import pandas as pd
import yaml


def main(argv):
    snapshot, period, out, rules_file = argv[1:5]
    workbook = "--workbook" in argv[5:]
    rules = yaml.safe_load(open(rules_file, encoding="utf-8"))
    os.makedirs(out, exist_ok=True)

    projects = json.load(open(os.path.join(snapshot, "projects.json"), encoding="utf-8"))
    zones = {p["short_name"]: p.get("timezone") or rules["default_time_zone"] for p in projects}

    wanted = ("project_short_name", "project_task_id", "task_type", "asset_id", "approved_date", "quantity", "units")
    rows = []
    with open(os.path.join(snapshot, "tasks.jsonl"), encoding="utf-8") as f:
        for line in f:
            t = json.loads(line)
            rows.append(tuple(t.get(k) for k in wanted))
    tasks = pd.DataFrame.from_records(rows, columns=wanted)
    tasks = tasks[tasks["approved_date"].notna() & (tasks["approved_date"] != "")]

    # In-service date: the approval instant in the project's time zone.
    approved = pd.to_datetime(tasks["approved_date"], utc=True)
    in_service = pd.Series(index=tasks.index, dtype="object")
    for project, zone in zones.items():
        m = tasks["project_short_name"] == project
        in_service[m] = approved[m].dt.tz_convert(zone).dt.tz_localize(None).dt.normalize()
    tasks["in_service_date"] = pd.to_datetime(in_service)
    period_start = pd.Timestamp(f"{period}-01")
    period_end = period_start + pd.offsets.MonthEnd(0)
    tasks = tasks[tasks["in_service_date"] <= period_end]

    types = pd.DataFrame(
        [
            {
                "task_type": name,
                "fa_class": t.get("fa_class"),
                "life_months": t.get("life_months") or 12 * t.get("life_years", 0),
                "per_unit_threshold": float(t.get("per_unit_threshold", 0)),
            }
            for name, t in rules["task_types"].items()
            if t["treatment"] == "capitalize"
        ]
    )
    tasks = tasks.merge(types, on="task_type")

    rates = pd.DataFrame(rules["rate_card"])
    rates["rate"] = rates["rate"].astype(float)
    rates["effective_from"] = pd.to_datetime(rates["effective_from"].astype(str))
    rates = rates.sort_values("effective_from")

    # Unit lines, one row each.
    lines = tasks[["project_short_name", "project_task_id", "in_service_date", "units"]].explode("units")
    lines = lines[lines["units"].notna()]
    detail = pd.json_normalize(lines["units"].tolist())
    lines = lines.drop(columns="units").reset_index(drop=True)
    for k in ("unit_code", "quantity", "rate", "amount"):
        lines[k] = detail[k] if k in detail else None
    for k in ("quantity", "rate", "amount"):
        lines[k] = pd.to_numeric(lines[k])
    lines = lines.sort_values("in_service_date")
    card = rates[rates["unit_code"].notna()][["unit_code", "effective_from", "rate"]].rename(columns={"rate": "card_rate"})
    lines = pd.merge_asof(lines, card, left_on="in_service_date", right_on="effective_from", by="unit_code")
    lines["cost"] = lines["amount"].fillna(lines["quantity"] * lines["rate"].fillna(lines["card_rate"])).round(2)
    by_task = lines.groupby(["project_short_name", "project_task_id"], as_index=False).agg(line_cost=("cost", "sum"), line_quantity=("quantity", "sum"))
    tasks = tasks.drop(columns="units").merge(by_task, on=["project_short_name", "project_task_id"], how="left")

    # No unit lines: quantity x the task type's rate.
    type_rates = rates[rates["task_type"].notna()][["task_type", "effective_from", "rate"]].rename(columns={"rate": "type_rate"})
    tasks = pd.merge_asof(tasks.sort_values("in_service_date"), type_rates, left_on="in_service_date", right_on="effective_from", by="task_type")
    tasks["cost"] = tasks["line_cost"].fillna((pd.to_numeric(tasks["quantity"]) * tasks["type_rate"]).round(2))
    tasks = tasks[tasks["cost"].notna()]

    # Thresholds.
    quantity = pd.to_numeric(tasks["quantity"]).fillna(tasks["line_quantity"])
    units = quantity.where(quantity > 0, 1).fillna(1)
    tasks = tasks[(tasks["cost"] >= float(rules["capitalization"]["threshold"])) & (tasks["cost"] / units >= tasks["per_unit_threshold"])]

    # Straight line, full month: the in-service month counts.
    months = (period_start.year - tasks["in_service_date"].dt.year) * 12 + (period_start.month - tasks["in_service_date"].dt.month) + 1
    life = tasks["life_months"]
    accumulated = (tasks["cost"] * months.clip(upper=life) / life).round(2)
    before = (tasks["cost"] * (months - 1).clip(upper=life) / life).round(2)

    asset_id = tasks["asset_id"].where(tasks["asset_id"].notna() & (tasks["asset_id"] != ""), tasks["project_short_name"] + "-" + tasks["project_task_id"].astype(str))
    register = pd.DataFrame(
        {
            "asset_id": asset_id,
            "project": tasks["project_short_name"],
            "task_id": tasks["project_task_id"],
            "task_type": tasks["task_type"],
            "fa_class": tasks["fa_class"],
            "in_service_date": tasks["in_service_date"].dt.strftime("%Y-%m-%d"),
            "life_months": life,
            "method": "straight_line",
            "convention": "full_month",
            "cost": tasks["cost"],
            "salvage": 0.0,
            "accumulated_depreciation": accumulated,
            "net_book_value": tasks["cost"] - accumulated,
        }
    ).sort_values(["project", "task_id"])
    depreciation = pd.DataFrame(
        {
            "asset_id": register["asset_id"],
            "book": "gl",
            "period": period,
            "amount": (accumulated - before).loc[register.index],
            "accumulated": register["accumulated_depreciation"],
            "net_book_value": register["net_book_value"],
        }
    )
    register.to_csv(os.path.join(out, "register.csv"), index=False, float_format="%.2f")
    depreciation.to_csv(os.path.join(out, "depreciation.csv"), index=False, float_format="%.2f")
    if workbook:
        with pd.ExcelWriter(os.path.join(out, f"close-{period}.xlsx"), engine="xlsxwriter") as xl:
            register.to_excel(xl, sheet_name="Register", index=False)
            depreciation.to_excel(xl, sheet_name="Depreciation", index=False)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(json.dumps({"assets": len(register), "cost": round(float(register["cost"].sum()), 2), "depreciation": round(float(depreciation["amount"].sum()), 2), "peak_rss_mb": peak_mb}))


if __name__ == "__main__":
    main(sys.argv)
