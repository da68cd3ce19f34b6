import type { AssetRecord } from "../capitalize/outcomes.js";
import { UnknownAssetError } from "../errors.js";
import type { Cents } from "../money.js";
import { likelyMeant } from "../suggest.js";
import type { AssetStatus } from "./model.js";
import type { AssetHistory, RegisterStore } from "./store.js";

/** An asset's whole story (`capex register asset ID`), and where it stands now. */
export interface AssetStory extends AssetHistory {
  status: AssetStatus;
  /** The asset's attributes as last posted. */
  record: AssetRecord;
  /** Accumulated depreciation at its latest period in the register (0 once it has left it). */
  accumulated: Cents;
  netBookValue: Cents;
}

/** One asset's story; an id the register does not hold is refused with the id it most likely meant. */
export async function assetStory(store: RegisterStore, assetId: string): Promise<AssetStory> {
  const h = await store.assetHistory(assetId);
  if (!h || h.events.length === 0) throw new UnknownAssetError(assetId, store.location, likelyMeant(assetId, await store.assetIds()));
  const last = h.events[h.events.length - 1]!;
  const inRegister = last.status === "active";
  const accumulated = inRegister ? (h.depreciation.at(-1)?.accumulated ?? 0) : 0;
  const cost = inRegister ? last.record.cost : 0;
  return { ...h, status: last.status, record: last.record, accumulated, netBookValue: cost - accumulated };
}
