/**
 * What the simulator knows of Render's 20 task types: the unit of measure each is counted
 * in and the unit codes its unit lines carry. The unit codes match the sample rate card in
 * rules/render-fiber.yaml so that generated work can be priced.
 */
export type CostBasis = "rate_card" | "line_rate" | "line_amount" | "task_quantity" | "none";

export interface UnitCodeSpec {
  code: string;
  description: string;
  /** Typical quantity range on one task. */
  min: number;
  max: number;
  /** Sample price used when the line carries its own rate or amount. */
  price: number;
}

export interface TaskTypeSpec {
  name: string;
  description: string;
  geometry_type: "Point" | "LineString" | "Polygon";
  unit: "ft" | "each" | "hour";
  basis: CostBasis;
  codes: UnitCodeSpec[];
  /** Relative frequency in generated projects. */
  weight: number;
}

export const TASK_TYPE_CATALOGUE: TaskTypeSpec[] = [
  { name: "change_request_approval", description: "Change request approval", geometry_type: "Point", unit: "each", basis: "none", codes: [], weight: 2 },
  {
    name: "electrical_make_ready_work", description: "Electrical make-ready work", geometry_type: "Point", unit: "each", basis: "rate_card", weight: 2,
    codes: [
      { code: "EMR-XFMR-25", description: "Pad-mount transformer 25 kVA", min: 1, max: 1, price: 4200 },
      { code: "EMR-SVC-PED", description: "Electrical service pedestal", min: 1, max: 2, price: 1850 },
    ],
  },
  { name: "field_observation", description: "Field observation", geometry_type: "Point", unit: "each", basis: "none", codes: [], weight: 3 },
  {
    name: "install_aerial_fiber", description: "Install aerial fiber", geometry_type: "LineString", unit: "ft", basis: "rate_card", weight: 10,
    codes: [
      { code: "AF-144CT", description: "Aerial fiber 144ct, lashed", min: 150, max: 2400, price: 3.85 },
      { code: "AF-288CT", description: "Aerial fiber 288ct, lashed", min: 150, max: 2400, price: 5.1 },
    ],
  },
  {
    name: "install_aerial_nap_tail", description: "Install aerial NAP tail", geometry_type: "Point", unit: "each", basis: "rate_card", weight: 5,
    codes: [{ code: "ANT-12F-150", description: "Aerial NAP tail 12F, 150 ft assembly", min: 1, max: 3, price: 265 }],
  },
  {
    name: "install_anchor", description: "Install anchor", geometry_type: "Point", unit: "each", basis: "rate_card", weight: 4,
    codes: [{ code: "ANC-8IN-EXP", description: "8 in expanding pole anchor assembly", min: 1, max: 2, price: 385 }],
  },
  {
    name: "install_cabinet", description: "Install cabinet", geometry_type: "Point", unit: "each", basis: "line_rate", weight: 2,
    codes: [
      { code: "CAB-FDH-288", description: "Fiber distribution hub cabinet 288F", min: 1, max: 1, price: 14500 },
      { code: "CAB-FDH-432", description: "Fiber distribution hub cabinet 432F", min: 1, max: 1, price: 18900 },
    ],
  },
  {
    name: "install_conduit", description: "Install conduit", geometry_type: "LineString", unit: "ft", basis: "rate_card", weight: 10,
    codes: [
      { code: "CND-2IN-HDPE", description: "2 in HDPE conduit, directional bore", min: 100, max: 1800, price: 18.5 },
      { code: "CND-4IN-PVC", description: "4 in PVC conduit, open trench", min: 50, max: 900, price: 27.25 },
    ],
  },
  {
    name: "install_nap_mst", description: "Install NAP / MST", geometry_type: "Point", unit: "each", basis: "rate_card", weight: 5,
    codes: [
      { code: "MST-8P", description: "Multiport service terminal, 8 port", min: 1, max: 1, price: 690 },
      { code: "MST-12P", description: "Multiport service terminal, 12 port", min: 1, max: 1, price: 845 },
    ],
  },
  {
    name: "install_pedistal", description: "Install pedestal", geometry_type: "Point", unit: "each", basis: "rate_card", weight: 4,
    codes: [{ code: "PED-HH-1730", description: "Handhole 17x30 with lid", min: 1, max: 1, price: 740 }],
  },
  {
    name: "install_splice_enclosure", description: "Install splice enclosure", geometry_type: "Point", unit: "each", basis: "rate_card", weight: 4,
    codes: [{ code: "SPL-ENC-288", description: "Splice closure 288F", min: 1, max: 1, price: 1275 }],
  },
  { name: "install_strand", description: "Install strand", geometry_type: "LineString", unit: "ft", basis: "task_quantity", weight: 6, codes: [] },
  {
    name: "install_ug_nap_tail", description: "Install underground NAP tail", geometry_type: "Point", unit: "each", basis: "rate_card", weight: 4,
    codes: [{ code: "UGT-12F-100", description: "Underground NAP tail 12F, 100 ft assembly", min: 1, max: 3, price: 240 }],
  },
  {
    name: "install_underground_fiber", description: "Install underground fiber", geometry_type: "LineString", unit: "ft", basis: "rate_card", weight: 9,
    codes: [
      { code: "UGF-144CT", description: "Underground fiber 144ct, pulled in conduit", min: 150, max: 2400, price: 3.1 },
      { code: "UGF-288CT", description: "Underground fiber 288ct, pulled in conduit", min: 150, max: 2400, price: 4.45 },
    ],
  },
  {
    name: "install_vault", description: "Install vault", geometry_type: "Point", unit: "each", basis: "rate_card", weight: 3,
    codes: [{ code: "VLT-3048-PC", description: "Polymer concrete vault 30x48", min: 1, max: 1, price: 2350 }],
  },
  {
    name: "miscellaneous_works", description: "Miscellaneous works", geometry_type: "Point", unit: "each", basis: "line_amount", weight: 3,
    codes: [{ code: "MISC-TOOLS", description: "Tools and fittings", min: 1, max: 4, price: 450 }],
  },
  {
    name: "nap_otdr", description: "NAP OTDR testing", geometry_type: "Point", unit: "each", basis: "line_rate", weight: 2,
    codes: [{ code: "OTDR-KIT", description: "OTDR test set", min: 1, max: 1, price: 8900 }],
  },
  {
    name: "permitting", description: "Permitting", geometry_type: "Polygon", unit: "each", basis: "line_amount", weight: 2,
    codes: [{ code: "PERMIT-ROW", description: "Right-of-way permit fee", min: 1, max: 1, price: 650 }],
  },
  { name: "rectification_request", description: "Rectification request", geometry_type: "Point", unit: "each", basis: "none", codes: [], weight: 2 },
  {
    name: "splice_reentry", description: "Splice re-entry", geometry_type: "Point", unit: "hour", basis: "rate_card", weight: 3,
    codes: [{ code: "SPL-REENTRY-HR", description: "Splice re-entry labour", min: 1, max: 6, price: 95 }],
  },
];

export const TASK_TYPE_NAMES = TASK_TYPE_CATALOGUE.map((t) => t.name);
