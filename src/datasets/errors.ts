/**
 * Bad data: every refusal of a data file names the file, the sample (or row, or array) index
 * when there is one, and the reason, e.g.
 *
 *   data/train.csv: row 17: label 12 is out of range 0..9
 *
 * The CLI prints it as one line and exits 2 (bad input), like a bad model file.
 */
export class DataError extends Error {
  constructor(
    /** the file (or directory) the problem is in */
    readonly file: string,
    readonly reason: string,
    /** e.g. "sample 17", "row 3", "array 'y'"; omitted for problems with the whole file */
    readonly where?: string,
  ) {
    super(`${file}: ${where ? `${where}: ` : ""}${reason}`);
    this.name = "DataError";
  }
}
