import type { AuditAddition, AuditReport, SampledItem } from "../src/audit/model.js";
import type { RollforwardRow } from "../src/close/close.js";

/**
 * A small audit report built by hand, every section populated, its figures consistent with
 * each other (the rollforward rolls, the waterfall ties, the sample is what planSample draws
 * from the additions with the seed below), so the rendering tests can assert exact figures.
 */

const hex = (pair: string) => pair.repeat(32);

function row(faClass: string, r: Omit<RollforwardRow, "faClass" | "closingCost" | "closingAccumulated" | "openingNbv" | "closingNbv">): RollforwardRow {
  const closingCost = r.openingCost + r.additions + r.costAdjustments + r.transfers - r.disposals;
  const closingAccumulated = r.openingAccumulated + r.depreciation + r.accumulatedAdjustments + r.accumulatedTransfers - r.accumulatedOnDisposals;
  return { faClass, ...r, closingCost, closingAccumulated, openingNbv: r.openingCost - r.openingAccumulated, closingNbv: closingCost - closingAccumulated };
}

const fiber = row("FIBER", {
  openingCost: 250_000_000,
  additions: 123_456_789,
  costAdjustments: 432_110,
  transfers: 0,
  disposals: 1_200_000,
  openingAccumulated: 50_000_000,
  depreciation: 1_041_667,
  accumulatedAdjustments: 0,
  accumulatedTransfers: 0,
  accumulatedOnDisposals: 300_000,
});
const conduit = row("CONDUIT", {
  openingCost: 80_000_000,
  additions: 1_875_000,
  costAdjustments: 25_000,
  transfers: 0,
  disposals: 0,
  openingAccumulated: 8_000_000,
  depreciation: 166_667,
  accumulatedAdjustments: 0,
  accumulatedTransfers: 0,
  accumulatedOnDisposals: 0,
});
const total = (() => {
  const sum = (k: keyof Omit<RollforwardRow, "faClass">) => fiber[k] + conduit[k];
  return {
    faClass: "TOTAL",
    openingCost: sum("openingCost"),
    additions: sum("additions"),
    disposals: sum("disposals"),
    closingCost: sum("closingCost"),
    openingAccumulated: sum("openingAccumulated"),
    depreciation: sum("depreciation"),
    closingAccumulated: sum("closingAccumulated"),
    openingNbv: sum("openingNbv"),
    closingNbv: sum("closingNbv"),
    costAdjustments: sum("costAdjustments"),
    transfers: sum("transfers"),
    accumulatedAdjustments: sum("accumulatedAdjustments"),
    accumulatedTransfers: sum("accumulatedTransfers"),
    accumulatedOnDisposals: sum("accumulatedOnDisposals"),
  } satisfies RollforwardRow;
})();

export const FIXTURE_ADDITIONS: AuditAddition[] = [
  { assetId: "ATX-NORTH-CABLE-000101", project: "ATX-NORTH", taskId: 101, taskType: "install_fiber_cable", faClass: "FIBER", inServiceDate: "2026-10-14", cost: 123_456_789, kind: "addition" },
  { assetId: "ATX-NORTH-CONDUI-000102", project: "ATX-NORTH", taskId: 102, taskType: "install_conduit", faClass: "CONDUIT", inServiceDate: "2026-10-31", cost: 1_875_000, kind: "addition" },
  { assetId: "ATX-NORTH-CABLE-000103", project: "ATX-NORTH", taskId: 103, taskType: "install_fiber_cable", faClass: "FIBER", inServiceDate: "2026-09-28", cost: 432_110, kind: "late_addition" },
  { assetId: "ATX-NORTH-CONDUI-000104", project: "ATX-NORTH", taskId: 104, taskType: "install_conduit", faClass: "CONDUIT", inServiceDate: "2026-08-03", cost: 25_000, kind: "cost_change" },
];

export const FIXTURE_SEED = "audit-2026-10";

const item101: SampledItem = {
  assetId: "ATX-NORTH-CABLE-000101",
  selection: "top stratum",
  point: undefined,
  kind: "addition",
  project: "ATX-NORTH",
  taskId: 101,
  taskType: "install_fiber_cable",
  faClass: "FIBER",
  approvedBy: "a.kowalski",
  approvedAtUtc: "2026-10-14T19:17:00Z",
  approvedAtLocal: "2026-10-14T14:17:00-05:00",
  timeZone: "America/Chicago",
  timeZoneDefaulted: false,
  inServiceDate: "2026-10-14",
  cost: 123_456_789,
  sampledAmount: 123_456_789,
  ruleId: "fiber-aerial",
  rulesVersion: "2026.1",
  lifeMonths: 300,
  method: "straight_line",
  convention: "full_month",
  elements: [
    { source: "rate_card", line: 0, unitCode: "FBR-288-AER", quantity: "12000", uom: "ft", rate: "9.75", rateId: "RC-2026-FBR-288", amount: 11_700_000 },
    { source: "line_amount", line: 1, unitCode: "SPLICE-288", quantity: "1", uom: "each", rate: undefined, rateId: undefined, amount: 111_756_789 },
  ],
  schedule: [{ period: "2026-10", amount: 411_523, otherChanges: 0, accumulated: 411_523, cost: 123_456_789 }],
  journalLines: [
    { period: "2026-10", journalId: "JE-2026-10-CAP-0001", line: 1, account: "1610", debit: 123_456_789, credit: 0, memo: "Capitalize ATX-NORTH FIBER additions 2026-10" },
    { period: "2026-10", journalId: "JE-2026-10-CAP-0001", line: 2, account: "1500", debit: 0, credit: 123_456_789, memo: "Clear CIP ATX-NORTH FIBER 2026-10" },
    { period: "2026-10", journalId: "JE-2026-10-DEP-0001", line: 1, account: "6100", debit: 411_523, credit: 0, memo: "Depreciation ATX-NORTH FIBER 2026-10" },
  ],
  location: { streetAddress: "461 Harbour Rd", roadName: "Harbour Rd", workPackage: "WP-001", longitude: -97.6434, latitude: 30.344844 },
  photos: ["photos/ATX-NORTH/101/before.jpg", "photos/ATX-NORTH/101/after.jpg"],
};

const item102: SampledItem = {
  assetId: "ATX-NORTH-CONDUI-000102",
  selection: "sampling point",
  point: 887_037,
  kind: "addition",
  project: "ATX-NORTH",
  taskId: 102,
  taskType: "install_conduit",
  faClass: "CONDUIT",
  approvedBy: "l.harris",
  approvedAtUtc: "2026-11-01T02:30:00Z",
  approvedAtLocal: "2026-10-31T21:30:00-05:00",
  timeZone: "America/Chicago",
  timeZoneDefaulted: false,
  inServiceDate: "2026-10-31",
  cost: 1_875_000,
  sampledAmount: 1_875_000,
  ruleId: "conduit-2in",
  rulesVersion: "2026.1",
  lifeMonths: 480,
  method: "straight_line",
  convention: "full_month",
  elements: [{ source: "task_type_rate", line: undefined, unitCode: undefined, quantity: "1500", uom: "ft", rate: "12.50", rateId: "TT-CONDUIT-2IN", amount: 1_875_000 }],
  // A cost change in October: each period's net book value is of its own cost.
  schedule: [
    { period: "2026-09", amount: 3_000, otherChanges: 0, accumulated: 3_000, cost: 1_500_000 },
    { period: "2026-10", amount: 3_906, otherChanges: 0, accumulated: 6_906, cost: 1_875_000 },
  ],
  journalLines: [{ period: "2026-10", journalId: "JE-2026-10-CAP-0002", line: 1, account: "1620", debit: 1_875_000, credit: 0, memo: "Capitalize ATX-NORTH CONDUIT additions 2026-10" }],
  location: { streetAddress: "14 Station St, Unit \"B\"", roadName: "Station St", workPackage: "WP-002", longitude: -97.583724, latitude: 30.38947 },
  photos: [],
};

export function auditFixture(): AuditReport {
  return {
    period: "2026-10",
    periodStart: "2026-10-01",
    periodEnd: "2026-10-31",
    currency: "USD",
    scope: {
      company: "Lakeside Fiber Co",
      rulesFile: "rules/default.yaml",
      rulesVersion: "2026.1",
      rulesSha256: hex("a1"),
      snapshotSha256: hex("b2"),
      snapshotFetchedAt: "2026-11-02T08:00:00Z",
      provisional: false,
      registerDigestBefore: hex("c3"),
      registerLocation: "register.sqlite",
      toolVersionAtClose: "0.1.0",
      toolVersionNow: "0.1.0",
      closedAt: "2026-11-02T09:15:00Z",
      closedBy: "j.doe",
      generatedAt: "2026-11-20T10:00:00Z",
      outputHashes: { "additions.csv": hex("d4"), "journal.csv": hex("e5"), "rollforward.csv": hex("f6") },
    },
    rollforward: [conduit, fiber, total],
    continuity: [
      { faClass: "CONDUIT", postedCost: 80_000_000, openingCost: 80_000_000, postedAccumulated: 8_000_000, openingAccumulated: 8_000_000 },
      { faClass: "FIBER", postedCost: 250_000_000, openingCost: 250_000_000, postedAccumulated: 50_000_000, openingAccumulated: 50_000_000 },
    ],
    ledgerTie: [
      { account: "1610", accountName: "Fiber plant, cost", faClass: "FIBER", ledger: fiber.closingCost, register: fiber.closingCost },
      { account: "1620", accountName: "Conduit, cost", faClass: "CONDUIT", ledger: conduit.closingCost, register: conduit.closingCost },
    ],
    identities: [
      { name: "every journal balances: Σ debit = Σ credit (5 entries)", left: "1283312.23", right: "1283312.23", holds: true },
      { name: "journal entries that do not balance", left: "0", right: "0", holds: true },
    ],
    journalsBySource: [
      { source: "capitalization", entries: 2, lines: 4, debit: 125_331_789, credit: 125_331_789 },
      { source: "depreciation", entries: 2, lines: 4, debit: 1_208_334, credit: 1_208_334 },
      { source: "retirement", entries: 1, lines: 4, debit: 1_220_000, credit: 1_220_000 },
    ],
    additions: FIXTURE_ADDITIONS,
    adjustments: [
      {
        assetId: "ATX-NORTH-CONDUI-000104",
        project: "ATX-NORTH",
        taskId: 104,
        kind: "cost_change",
        effectiveDate: "2026-10-12",
        costChange: 25_000,
        accumulatedChange: 0,
        depreciationCatchUp: 1_250,
        faClass: "CONDUIT",
        previousFaClass: "CONDUIT",
        message: "Render unit quantity changed from 120 to 130 ft after the September close",
      },
    ],
    disposals: [
      {
        assetId: "ATX-NORTH-CABLE-000007",
        project: "ATX-NORTH",
        faClass: "FIBER",
        date: "2026-10-20",
        portion: "all",
        costRetired: 1_200_000,
        accumulatedRetired: 300_000,
        proceeds: 50_000,
        removalCost: 20_000,
        gainLoss: -870_000,
        accumulatedOnDisposal: 300_000,
        reason: "Cable damaged by road works, replaced",
        wholly: true,
      },
    ],
    exceptions: [
      {
        project: "ATX-NORTH",
        taskId: 77,
        taskType: "splice_closure",
        code: "NO_RULE",
        message: "no capitalization rule matches task type splice_closure; add one to the rules file",
        openSince: "2026-08",
        periodsOpen: 3,
      },
    ],
    cutoff: [
      {
        project: "ATX-NORTH",
        taskId: 102,
        taskType: "install_conduit",
        approvedAtUtc: "2026-11-01T02:30:00Z",
        approvedAtLocal: "2026-10-31T21:30:00-05:00",
        timeZone: "America/Chicago",
        inServiceDate: "2026-10-31",
        periodLanded: "2026-10",
        outcome: "capitalized",
        amount: 1_875_000,
      },
      {
        project: "ATX-NORTH",
        taskId: 110,
        taskType: "install_conduit",
        approvedAtUtc: "2026-11-02T16:00:00Z",
        approvedAtLocal: "2026-11-02T10:00:00-06:00",
        timeZone: "America/Chicago",
        inServiceDate: "2026-11-02",
        periodLanded: "2026-11",
        outcome: "next period",
        amount: 990_000,
      },
    ],
    reasonableness: [
      { faClass: "CONDUIT", cost: conduit.closingCost, expected: 170_625, recorded: 166_667, difference: -3_958 },
      { faClass: "FIBER", cost: fiber.closingCost, expected: 1_242_296, recorded: 1_041_667, difference: -200_629 },
    ],
    sample: {
      method: "monetary unit sampling",
      confidence: 0.95,
      tolerable: 6_289_445,
      expectedMisstatement: 0,
      reliabilityFactor: 3,
      population: 125_788_899,
      populationItems: 4,
      interval: 2_096_481,
      seed: FIXTURE_SEED,
      requestedSize: undefined,
      plannedSize: 60,
      start: 887_037,
      excludedItems: 0,
      items: [item101, item102],
    },
    additionsByPeriod: Array.from({ length: 12 }, (_, i) => {
      const month = ((10 + i) % 12) + 1;
      const year = i < 2 ? 2025 : 2026;
      return {
        period: `${year}-${String(month).padStart(2, "0")}`,
        byClass: { CONDUIT: 1_000_000 + i * 150_000, FIBER: 2_500_000 + ((i * 7) % 5) * 900_000 },
      };
    }),
  };
}
