/** The scheduler's memory of which slot of each config has been claimed. */

export type SlotClaim =
  /** First time this config is seen: the slot is recorded as the starting point, nothing runs. */
  | 'baseline'
  /** This caller moved the config to this slot: it must start the run. */
  | 'claimed'
  /** The slot (or a later one) was already claimed, by this or another replica. */
  | 'taken';

export interface SlotStore {
  /** Atomically moves a config's last slot forward to `slot` (ISO-8601); see {@link SlotClaim}. */
  claim(configId: string, slot: string): Promise<SlotClaim>;
}
