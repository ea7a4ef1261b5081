/**
 * The change rule of the API's partial updates (`PATCH` a draft campaign, `PUT` the delivery settings): a field left
 * out keeps its value, `null` takes it away, anything else replaces it.
 *
 * @example
 * patched(undefined, 10) // 10
 * patched(null, 10)      // undefined
 * patched(20, 10)        // 20
 */
export const patched = <T>(change: T | null | undefined, current: T | undefined): T | undefined => (change === null ? undefined : (change ?? current));
