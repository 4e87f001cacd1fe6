/** A problem found while validating plain data (a YAML testbed, an options object). */

/** One thing wrong, at a path such as `links[3].shaping.rate`. */
export interface Problem {
  path: string;
  message: string;
}
