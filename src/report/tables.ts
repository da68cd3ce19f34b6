import type { CloseResult, RegisterEntry } from "../close/close.js";

/** expensed.csv's reason for a reversed expense: what the task is now. */
const REVERSAL_REASON = { capitalized: "NOW_CAPITALIZED", exception: "NOW_EXCEPTION", later: "NOW_AFTER_PERIOD", no_effect: "NO_FINANCIAL_EFFECT", withdrawn: "WITHDRAWN" } as const;
import type { Rules } from "../rules/model.js";

/**
 * The outputs as typed tables: one definition drives both the CSV file and the workbook
 * sheet, so the two never disagree. Cell kinds: `amount` (integer cents), `date` (ISO),
 * `int`, `number`, `text` (free text: cleaned, cut at Excel's cell limit, and neutralised in
 * CSV), `code` (identifiers and enums: validated, never altered), `account` (an account code:
 * a code the workbook writes as a number when it is one).
 */
export type CellKind = "amount" | "date" | "int" | "text" | "code" | "account" | "number";
export interface Column {
  /** The contracted CSV header (snake_case). */
  name: string;
  /** The workbook's header, for people. */
  label: string;
  kind: CellKind;
  width?: number;
}
export type Cell = string | number | undefined;

/** A totals row of a sheet: SUM of every amount column, or SUMIF over the rows where `column` is `equals`. */
export interface TotalLine {
  label: string;
  where?: { column: string; equals: string };
}

export interface Table {
  /** Sheet name; the CSV file is `file`. */
  sheet: string;
  file: string;
  columns: Column[];
  rowCount: number;
  rows: () => Iterable<Cell[]>;
  /** Totals rows under the sheet's data, outside its autofilter. */
  totals: TotalLine[];
  /**
   * The last row is the table's own total (the rollforward's TOTAL): the CSV keeps it as data,
   * the sheet writes it as SUM formulas over the rows above, labelled with its first cell.
   */
  lastRowIsTotal?: boolean;
}

const WORDS: Record<string, string> = { id: "ID", ids: "IDs", fa: "FA", nbv: "NBV", uom: "UoM", gl: "GL", fcc: "FCC", part32: "Part 32" };
const LABELS: Record<string, string> = { in_service_date: "In-service date", posted_in_period: "Posted in the period" };

/** A header for people from a snake_case name: `net_book_value` → "Net book value". */
export function labelOf(name: string): string {
  const known = LABELS[name];
  if (known) return known;
  const text = name
    .split("_")
    .map((w) => WORDS[w] ?? w)
    .join(" ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

const col = (name: string, kind: CellKind, width?: number): Column => ({ name, label: labelOf(name), kind, ...(width ? { width } : {}) });
const TOTAL: TotalLine[] = [{ label: "Total" }];

/**
 * Names a row the way an accountant finds it (task, asset, journal line) for warnings about
 * its cells; `index` is the row's place in the table, counted from 1.
 */
export function describeRow(table: Table, row: readonly Cell[], index: number): string {
  const at = (name: string) => {
    const k = table.columns.findIndex((c) => c.name === name);
    return k < 0 || row[k] === undefined || row[k] === "" ? undefined : String(row[k]);
  };
  const parts: string[] = [];
  const task = at("task_id");
  if (task !== undefined) parts.push(`task ${at("project") ?? "?"}#${task}`);
  const asset = at("asset_id");
  if (asset !== undefined) parts.push(`asset ${asset}`);
  const journal = at("journal_id");
  if (journal !== undefined) parts.push(`journal ${journal} line ${at("line") ?? "?"}`);
  if (parts.length === 0 && at("task_type") !== undefined) parts.push(`task type ${at("task_type")}`);
  return `${table.file || `${table.sheet} sheet`} row ${index}${parts.length ? ` (${parts.join(", ")})` : ""}`;
}

/**
 * The task_id cell of an asset's row: its Render task, or blank for an asset taken on from
 * another system (capex register import), which has none. Its record holds 0 there, which the
 * register's state digest keeps, so the rows ask the entry's source, as the register's own
 * assets table does (task_id null unless the source is render).
 */
const taskIdOf = (e: Pick<RegisterEntry, "source" | "asset">): number | undefined => (e.source === "render" ? e.asset.taskId : undefined);

export function closeTables(r: CloseResult): Table[] {
  // Wide enough for the longest account name and memo this close posts.
  let accountName = 0;
  let memo = 0;
  for (const e of r.journal) {
    for (const p of e.postings) {
      accountName = Math.max(accountName, p.accountName.length);
      memo = Math.max(memo, p.memo.length);
    }
  }
  const widthFor = (chars: number) => Math.min(80, Math.max(24, chars + 2));
  return [
    {
      sheet: "Journal",
      file: "journal.csv",
      totals: TOTAL,
      columns: [
        col("journal_id", "code", 28), col("date", "date"), col("period", "code"), col("line", "int", 6), col("account", "account", 9), col("account_name", "text", widthFor(accountName)),
        col("debit", "amount"), col("credit", "amount"), col("currency", "code", 9), col("memo", "text", widthFor(memo)), col("project", "code", 14), col("fa_class", "code", 20), col("source", "code", 15),
      ],
      rowCount: r.journal.reduce((n, e) => n + e.postings.length, 0),
      *rows() {
        for (const e of r.journal) {
          let line = 0;
          for (const p of e.postings) yield [e.journalId, e.date, e.period, ++line, p.account, p.accountName, p.debit, p.credit, e.currency, p.memo, p.project, p.faClass, e.source];
        }
      },
    },
    {
      sheet: "Additions",
      file: "additions.csv",
      totals: TOTAL,
      columns: [
        col("asset_id", "code", 26), col("project", "code", 14), col("task_id", "int", 9), col("task_type", "code", 26), col("fa_class", "code", 20), col("in_service_date", "date"),
        col("cost", "amount"), col("life_months", "int", 8), col("method", "code", 16), col("convention", "code", 13), col("quantity", "number", 10), col("uom", "text", 7), col("approved_by", "text", 14),
        col("description", "text", 34), col("salvage", "amount"), col("rule_id", "code", 30), col("rate_ids", "code", 24), col("street_address", "text", 24), col("road_name", "text", 18),
        col("work_package", "text", 12), col("subsector", "text", 10), col("longitude", "number", 11), col("latitude", "number", 11),
      ],
      rowCount: r.additions.length,
      *rows() {
        for (const e of r.additions) {
          const a = e.asset;
          yield [
          a.assetId, a.project, taskIdOf(e), a.taskType, a.faClass, a.inServiceDate, a.cost, a.lifeMonths, a.method, a.convention, a.quantity, a.uom, a.approvedBy,
          a.description, a.salvage, a.ruleId, a.rateIds.join(" "), a.location.streetAddress, a.location.roadName, a.location.workPackage, a.location.subsector, a.location.longitude, a.location.latitude,
          ];
        }
      },
    },
    {
      sheet: "Register",
      file: "register.csv",
      totals: TOTAL,
      columns: [
        col("asset_id", "code", 26), col("project", "code", 14), col("task_id", "int", 9), col("task_type", "code", 26), col("fa_class", "code", 20), col("in_service_date", "date"),
        col("life_months", "int", 8), col("method", "code", 16), col("convention", "code", 13), col("cost", "amount"), col("salvage", "amount"), col("accumulated_depreciation", "amount"),
        col("net_book_value", "amount"), col("period_depreciation", "amount"), col("opening_accumulated", "amount"), col("description", "text", 34), col("street_address", "text", 24), col("work_package", "text", 12),
        // After the columns that were there: the rest of the row's movement, so opening + period + adjustments − retired = accumulated.
        col("accumulated_adjustments", "amount"), col("accumulated_retired", "amount"),
      ],
      rowCount: r.register.length,
      *rows() {
        for (const e of r.register) {
          const { asset: a, accumulated, netBookValue, amount, openingAccumulated } = e;
          yield [
          a.assetId, a.project, taskIdOf(e), a.taskType, a.faClass, a.inServiceDate, a.lifeMonths, a.method, a.convention, a.cost, a.salvage, accumulated, netBookValue, amount, openingAccumulated,
          a.description, a.location.streetAddress, a.location.workPackage, e.accumulatedAdjustments, e.accumulatedRetired,
          ];
        }
      },
    },
    {
      sheet: "Depreciation",
      file: "depreciation.csv",
      // A book per total: the GL's amount is the period's depreciation journal (and the
      // rollforward's); the tax rows' amounts are their tax year's, as tax.csv's.
      totals: [
        { label: "GL book (depreciation journal)", where: { column: "book", equals: "gl" } },
        { label: "Tax book (the tax year's amounts)", where: { column: "book", equals: "tax" } },
      ],
      columns: [col("asset_id", "code", 26), col("book", "code", 6), col("period", "code", 9), col("amount", "amount"), col("accumulated", "amount"), col("net_book_value", "amount"), col("fa_class", "code", 20), col("project", "code", 14)],
      rowCount: r.register.length * 2,
      *rows() {
        for (const e of r.register) {
          yield [e.asset.assetId, "gl", r.period, e.amount, e.accumulated, e.netBookValue, e.asset.faClass, e.asset.project];
          yield [e.asset.assetId, "tax", `FY${e.tax.taxYear}`, e.tax.amount, e.tax.accumulated, e.tax.remainingBasis, e.asset.faClass, e.asset.project];
        }
      },
    },
    {
      sheet: "Rollforward",
      file: "rollforward.csv",
      totals: [{ label: "TOTAL" }],
      lastRowIsTotal: true,
      columns: [
        col("fa_class", "code", 20), col("opening_cost", "amount"), col("additions", "amount"), col("disposals", "amount"), col("closing_cost", "amount"), col("opening_accumulated", "amount"),
        col("depreciation", "amount"), col("closing_accumulated", "amount"), col("opening_nbv", "amount"), col("closing_nbv", "amount"),
        col("cost_adjustments", "amount"), col("transfers", "amount"), col("accumulated_adjustments", "amount"), col("accumulated_transfers", "amount"), col("accumulated_on_disposals", "amount"),
      ],
      rowCount: r.rollforward.length,
      rows: () =>
        r.rollforward.map((x) => [
          x.faClass, x.openingCost, x.additions, x.disposals, x.closingCost, x.openingAccumulated, x.depreciation, x.closingAccumulated, x.openingNbv, x.closingNbv,
          x.costAdjustments, x.transfers, x.accumulatedAdjustments, x.accumulatedTransfers, x.accumulatedOnDisposals,
        ]),
    },
    {
      sheet: "Adjustments",
      file: "adjustments.csv",
      totals: TOTAL,
      columns: [
        col("asset_id", "code", 26), col("project", "code", 14), col("task_id", "int", 9), col("kind", "code", 17), col("effective_date", "date"), col("cost_change", "amount"),
        col("accumulated_change", "amount"), col("depreciation_catch_up", "amount"), col("fa_class", "code", 20), col("previous_fa_class", "code", 20), col("message", "text", 80),
      ],
      rowCount: r.adjustments.length,
      rows: () =>
        r.adjustments.map((a) => [a.assetId, a.project, a.taskId, a.kind, a.effectiveDate, a.costChange, a.accumulatedChange, a.depreciationCatchUp, a.faClass, a.previousFaClass, a.message]),
    },
    {
      sheet: "Disposals",
      file: "disposals.csv",
      totals: TOTAL,
      columns: [
        col("asset_id", "code", 26), col("project", "code", 14), col("fa_class", "code", 20), col("date", "date"), col("portion", "code", 12), col("cost_retired", "amount"),
        col("accumulated_retired", "amount"), col("proceeds", "amount"), col("removal_cost", "amount"), col("gain_loss", "amount"), col("accumulated_on_disposal", "amount"), col("reason", "text", 40),
        // The tax book's (reporting only): the year of disposition's deduction, all deducted to the disposal, the adjusted basis left.
        col("tax_year", "int", 9), col("tax_depreciation", "amount"), col("tax_accumulated", "amount"), col("tax_adjusted_basis", "amount"),
      ],
      rowCount: r.disposals.length,
      rows: () =>
        r.disposals.map((d) => [
          d.assetId, d.project, d.faClass, d.date, d.portion, d.costRetired, d.accumulatedRetired, d.proceeds, d.removalCost, d.gainLoss, d.accumulatedOnDisposal, d.reason,
          d.tax?.taxYear, d.tax?.amount, d.tax?.accumulated, d.tax?.adjustedBasis,
        ]),
    },
    {
      sheet: "Expensed",
      file: "expensed.csv",
      // The rows run back to the first task in service; only this period's are in the journal.
      totals: [{ label: "Posted in the period (expense journal)", where: { column: "posted_in_period", equals: "yes" } }, { label: "All rows, in service to period end" }],
      columns: [
        col("project", "code", 14), col("task_id", "int", 9), col("task_type", "code", 26), col("treatment", "code", 10), col("amount", "amount"), col("reason", "code", 20),
        col("in_service_date", "date"), col("account", "account", 9), col("posted_in_period", "code", 10), col("posted_amount", "amount"),
      ],
      rowCount: r.expensed.length + r.expenseReversals.length,
      *rows() {
        for (const e of r.expensed) {
          const posted = r.expensePosted.get(`${e.project}#${e.taskId}`);
          yield [e.project, e.taskId, e.taskType, e.treatment, e.amount, e.reason, e.inServiceDate, e.account, posted !== undefined ? "yes" : "no", posted ?? 0];
        }
        // Then the tasks expensed before and not now, whose expense the journal reverses: the
        // posted amounts add up to it. Treatment "reversed" (no amount now): not tasks expensed.
        for (const x of r.expenseReversals) yield [x.project, x.taskId, x.taskType, "reversed", 0, REVERSAL_REASON[x.why], x.inServiceDate, x.account, "yes", x.amount];
      },
    },
    {
      sheet: "Exceptions",
      file: "exceptions.csv",
      totals: [],
            // An exception row shows what Render sent, unvalidated: project and task type are text here.
      columns: [col("project", "text", 14), col("task_id", "int", 9), col("task_type", "text", 26), col("code", "code", 22), col("message", "text", 90), col("severity", "code", 9), col("in_service_date", "date")],
      rowCount: r.exceptions.length,
      rows: () => r.exceptions.map((e) => [e.project, e.taskId, e.taskType, e.code, e.message, e.severity, e.inServiceDate]),
    },
    {
      sheet: "Tax",
      file: "tax.csv",
      totals: TOTAL,
      columns: [
        col("asset_id", "code", 26), col("project", "code", 14), col("fa_class", "code", 20), col("tax_year", "int", 9), col("recovery_years", "int", 9), col("convention", "code", 12),
        col("tax_amount", "amount"), col("tax_accumulated", "amount"), col("remaining_basis", "amount"), col("book_amount", "amount"), col("difference", "amount"),
      ],
      rowCount: r.register.length,
      *rows() {
        for (const { asset: a, tax: t } of r.register) {
          yield [a.assetId, a.project, a.faClass, t.taxYear, t.recoveryYears, t.convention, t.amount, t.accumulated, t.remainingBasis, t.bookAmount, t.amount - t.bookAmount];
        }
      },
    },
    {
      sheet: "Cost elements",
      file: "cost_elements.csv",
      totals: TOTAL,
      columns: [
        col("asset_id", "code", 26), col("project", "code", 14), col("task_id", "int", 9), col("unit_line", "int", 9), col("source", "code", 15), col("unit_code", "text", 16),
        col("quantity", "number", 10), col("uom", "text", 7), col("rate", "number", 10), col("rate_id", "code", 16), col("amount", "amount"),
      ],
      rowCount: r.register.reduce((n, e) => n + e.asset.elements.length, 0),
      *rows() {
        for (const e of r.register) {
          const a = e.asset;
          for (const el of a.elements) yield [a.assetId, a.project, taskIdOf(e), el.line, el.source, el.unitCode, el.quantity, el.uom, el.rate, el.rateId, el.amount];
        }
      },
    },
  ];
}

/** The Tax sheet: book-to-tax by class for the tax year (per asset it is tax.csv). */
export function taxByClassTable(r: CloseResult): Table {
  return {
    sheet: "Tax",
    file: "",
    totals: TOTAL,
    columns: [col("fa_class", "code", 22), col("tax_year", "int", 9), col("tax_depreciation", "amount"), col("book_depreciation", "amount"), col("difference", "amount")],
    rowCount: r.taxByClass.length,
    rows: () => r.taxByClass.map((t) => [t.faClass, t.taxYear, t.taxAmount, t.bookAmount, t.difference]),
  };
}

/** The Rules sheet: the rules applied, one row per task type. */
export function rulesTable(rules: Rules): Table {
  const rows = [...rules.taskTypes.values()].map((t) => {
    const k = t.faClass ? rules.classes.get(t.faClass) : undefined;
    return [
      t.name, t.treatment, t.faClass, t.lifeMonths, t.treatment === "capitalize" ? t.method : undefined, t.treatment === "capitalize" ? t.convention : undefined,
      t.treatment === "capitalize" ? t.salvagePercent.toString() : undefined, k?.assetAccount, k?.accumulatedDepreciationAccount, k?.depreciationExpenseAccount, t.expenseAccount,
      t.perUnitThreshold?.toString(), k?.fccPart32Account, k?.taxRecoveryYears, t.unit, t.description,
    ] as Cell[];
  });
  return {
    sheet: "Rules",
    file: "",
    totals: [],
    columns: [
      col("task_type", "code", 26), col("treatment", "code", 11), col("fa_class", "code", 20), col("life_months", "int", 8), col("method", "code", 16), col("convention", "code", 13),
      col("salvage_percent", "number", 9), col("asset_account", "account", 9), col("accumulated_depreciation_account", "account", 14), col("depreciation_expense_account", "account", 14),
      col("expense_account", "account", 9), col("per_unit_threshold", "number", 10), col("fcc_part32_account", "account", 10), col("tax_recovery_years", "int", 8), col("unit", "code", 6), col("description", "text", 40),
    ],
    rowCount: rows.length,
    rows: () => rows,
  };
}
