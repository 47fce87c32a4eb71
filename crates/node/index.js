'use strict'
// The `neurodiv` package: NeuralForecast's API over the native addon (`native.js` loads the
// `.node` file of this platform). This file only moves data: frames (objects of columns, or
// Apache Arrow tables) become typed arrays for the addon, results become objects of columns,
// options go from camelCase to the library's snake_case, an AbortSignal becomes a cancel token.
// Everything else (validation, training, saving) is the Rust library's.

const native = require('./native.js')

/** An `Error` with a `code`, as the addon throws them. */
function fail(code, message) {
  const e = new Error(message)
  e.code = code
  return e
}

const snake = (key) => key.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase())

// ---------------------------------------------------------------------------------------------
// Losses

/** A loss of the library, with NeuralForecast's name and arguments (camelCase keys). */
class Loss {
  constructor(name, args = {}) {
    const text = Object.entries(args)
      .filter(([, v]) => v !== undefined && v !== null)
      .map(([k, v]) => `${snake(k)}=${lossArg(v)}`)
      .join(', ')
    this.text = native.lossText(`${name}(${text})`)
  }
  toString() {
    return this.text
  }
}

function lossArg(v) {
  if (typeof v === 'boolean') return v ? 'True' : 'False'
  if (Array.isArray(v)) return '[' + v.map(lossArg).join(', ') + ']'
  return String(v)
}

const LOSSES = [
  'MAE', 'MSE', 'RMSE', 'MAPE', 'SMAPE', 'MASE', 'HuberLoss', 'QuantileLoss', 'MQLoss',
  'HuberQLoss', 'HuberMQLoss', 'DistributionLoss', 'GMM', 'PMM', 'NBMM',
]
const losses = {}
for (const name of LOSSES) {
  losses[name] = { [name]: class extends Loss {
    constructor(args) {
      super(name, args)
    }
  } }[name]
}

// ---------------------------------------------------------------------------------------------
// Models

// Models whose inputSize defaults to -1 (3 * h) in NeuralForecast; the others require it.
const INPUT_SIZE_OPTIONAL = new Set(['RNN', 'LSTM', 'GRU', 'DilatedRNN', 'DeepAR', 'TCN'])

function optionText(key, value) {
  if (value instanceof Loss) return value.text
  if (typeof value === 'bigint') return value.toString()
  if (ArrayBuffer.isView(value)) value = Array.from(value)
  const json = JSON.stringify(value)
  if (json === undefined) throw fail('ERR_CONFIG', `option ${key}: ${typeof value} is not a number, text, list or loss`)
  return json
}

/** A model of the registry: `new NHITS({ h: 12, inputSize: 24, maxSteps: 200 })`. */
class Model {
  constructor(name, options) {
    if (options === null || typeof options !== 'object') {
      throw fail('ERR_CONFIG', `${name} takes an options object ({ h, inputSize, ... })`)
    }
    const { h, inputSize, ...rest } = options
    let size = inputSize
    if (size === undefined || size === -1) {
      if (size === undefined && !INPUT_SIZE_OPTIONAL.has(name)) {
        throw fail('ERR_CONFIG', `${name} needs inputSize`)
      }
      size = 3 * h
    }
    if (!Number.isInteger(h) || h < 1 || !Number.isInteger(size) || size < 1) {
      throw fail('ERR_CONFIG', `${name}: h and inputSize must be integers of at least 1 (inputSize -1 means 3 * h), got h=${h}, inputSize=${inputSize}`)
    }
    const keys = Object.keys(rest)
    const defaults = JSON.parse(native.defaultConfig(name, h, size))
    if ('n_series' in defaults && !('nSeries' in rest) && !('n_series' in rest)) {
      throw fail('ERR_CONFIG', `${name} needs nSeries (the number of series)`)
    }
    this.name = name
    this.h = h
    this.inputSize = size
    this.config = native.modelConfig(name, h, size, keys.map(snake), keys.map((k) => optionText(k, rest[k])))
  }
  /** The model's column name in forecasts (its alias option, else its name). */
  get alias() {
    return JSON.parse(this.config).alias || this.name
  }
  /** Every option, defaults included, as the library spells them (snake_case). */
  getConfig() {
    return JSON.parse(this.config)
  }
  toString() {
    return this.alias
  }
}

const models = {}
for (const name of native.modelNames()) {
  models[name] = { [name]: class extends Model {
    constructor(options) {
      super(name, options)
    }
  } }[name]
}

function modelFromConfig(name, config) {
  const cls = models[name] || Model
  const m = Object.create(cls.prototype)
  const options = JSON.parse(config)
  Object.assign(m, { name, h: options.h, inputSize: options.input_size, config })
  return m
}

// ---------------------------------------------------------------------------------------------
// Frames

function isArrowTable(df) {
  return df !== null && typeof df === 'object' && typeof df.getChild === 'function' &&
    df.schema !== undefined && Array.isArray(df.schema.fields)
}

/** An Apache Arrow table as an object of columns (timestamps as Dates, numbers as numbers). */
function fromArrow(table) {
  const out = {}
  for (const field of table.schema.fields) {
    const col = table.getChild(field.name)
    const type = String(field.type)
    const values = new Array(col.length)
    const isTime = /^(Timestamp|Date)/.test(type)
    for (let i = 0; i < col.length; i++) {
      let v = col.get(i)
      if (typeof v === 'bigint') v = Number(v)
      if (isTime && typeof v === 'number') v = new Date(v)
      values[i] = v
    }
    out[field.name] = values
  }
  return out
}

/** A data frame as an object of columns. */
function columnsOf(df, what) {
  if (isArrowTable(df)) return fromArrow(df)
  if (df === null || typeof df !== 'object' || Array.isArray(df)) {
    throw fail('ERR_INVALID_DATA', `${what} must be an object of columns ({ unique_id: [...], ds: [...], y: [...] }) or an Apache Arrow table`)
  }
  const n = new Set()
  for (const [name, col] of Object.entries(df)) {
    if (!Array.isArray(col) && !ArrayBuffer.isView(col)) {
      throw fail('ERR_INVALID_DATA', `${what}: column \`${name}\` is not an array`)
    }
    n.add(col.length)
  }
  if (n.size > 1) {
    const lengths = Object.entries(df).map(([k, c]) => `${k}: ${c.length}`).join(', ')
    throw fail('ERR_INVALID_DATA', `${what}: the columns have different lengths (${lengths})`)
  }
  return df
}

function floats(col, name) {
  if (col instanceof Float64Array) return col
  const out = new Float64Array(col.length)
  for (let i = 0; i < col.length; i++) {
    const v = col[i]
    if (v === null || v === undefined) out[i] = NaN
    else if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') out[i] = Number(v)
    else throw fail('ERR_INVALID_DATA', `column \`${name}\` has ${JSON.stringify(v)} at row ${i}; expected numbers`)
  }
  return out
}

function timestamps(col, name) {
  if (ArrayBuffer.isView(col)) return { dsKind: 'int', dsNumber: Float64Array.from(col, Number) }
  const kind = (v) => (v instanceof Date ? 'date' : typeof v === 'number' || typeof v === 'bigint' ? 'int' : typeof v === 'string' ? 'text' : 'bad')
  const first = col.length ? kind(col[0]) : 'int'
  for (let i = 0; i < col.length; i++) {
    const k = kind(col[i])
    if (k !== first || k === 'bad') {
      throw fail('ERR_INVALID_DATA', `column \`${name}\` has ${col[i] instanceof Date ? 'a Date' : JSON.stringify(col[i])} at row ${i}; expected Dates, date strings or integers, all of one kind`)
    }
  }
  if (first === 'text') return { dsKind: 'text', dsText: Array.from(col) }
  if (first === 'date') return { dsKind: 'date', dsNumber: Float64Array.from(col, (d) => d.getTime()) }
  return { dsKind: 'int', dsNumber: Float64Array.from(col, Number) }
}

function ids(col, name) {
  const index = new Map()
  const texts = []
  const codes = new Uint32Array(col.length)
  for (let i = 0; i < col.length; i++) {
    const v = col[i]
    if (v === null || v === undefined) throw fail('ERR_INVALID_DATA', `column \`${name}\` has a missing id at row ${i}`)
    const t = String(v)
    let c = index.get(t)
    if (c === undefined) {
      c = texts.length
      texts.push(t)
      index.set(t, c)
    }
    codes[i] = c
  }
  return { ids: texts, codes }
}

/** A validated native panel of `df` (a future frame, without target, when `future`). */
function toPanel(df, freq, cols, { future = false, staticDf } = {}) {
  const what = future ? 'futrDf' : 'df'
  const c = columnsOf(df, what)
  const available = Object.keys(c)
  const required = [cols.idCol, cols.timeCol].concat(future ? [] : [cols.targetCol])
  native.requireColumns(required, available)
  const exogNames = available.filter((k) => !required.includes(k))
  const columns = {
    ...ids(c[cols.idCol], cols.idCol),
    ...timestamps(c[cols.timeCol], cols.timeCol),
    y: future ? undefined : floats(c[cols.targetCol], cols.targetCol),
    exogNames,
    exog: exogNames.map((k) => floats(c[k], k)),
    freq,
    timeCol: cols.timeCol,
  }
  if (staticDf !== undefined && staticDf !== null) {
    const s = columnsOf(staticDf, 'staticDf')
    native.requireColumns([cols.idCol], Object.keys(s))
    const names = Object.keys(s).filter((k) => k !== cols.idCol)
    const sids = Array.from(s[cols.idCol], String)
    const values = new Float64Array(sids.length * names.length)
    names.forEach((k, j) => floats(s[k], k).forEach((v, r) => { values[r * names.length + j] = v }))
    Object.assign(columns, { staticNames: names, staticIds: sids, staticValues: values })
  }
  return native.makePanel(columns)
}

/** A native result as an object of columns: id, time, [cutoff], model columns, [target]. */
function toFrame(r, cols) {
  const time = (v) => (r.dsIsInt ? Array.from(v) : Array.from(v, (ms) => new Date(ms)))
  const out = { [cols.idCol]: r.uniqueId, [cols.timeCol]: time(r.ds) }
  if (r.cutoff) out.cutoff = time(r.cutoff)
  r.columnNames.forEach((name, i) => { out[name] = r.columns[i] })
  if (r.y) out[cols.targetCol] = r.y
  return out
}

// ---------------------------------------------------------------------------------------------
// Cancellation and progress

function cancelled(signal) {
  const reason = signal.reason instanceof Error ? `: ${signal.reason.message}` : ''
  return fail('ERR_CANCELLED', `cancelled before it started${reason}`)
}

/** Runs `start(token)` with a cancel token tied to `signal`. */
async function withSignal(signal, start) {
  if (signal === undefined || signal === null) return start(undefined)
  if (signal.aborted) throw cancelled(signal)
  const token = new native.CancelToken()
  const onAbort = () => token.cancel()
  signal.addEventListener('abort', onAbort, { once: true })
  try {
    return await start(token)
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}

function progressFn(onProgress) {
  if (onProgress === undefined || onProgress === null) return undefined
  if (typeof onProgress !== 'function') throw fail('ERR_CONFIG', 'onProgress must be a function')
  return (p) => {
    try {
      onProgress(p)
    } catch (e) {
      // A throwing callback must not take the process down; it is reported once.
      process.emitWarning(`neurodiv: the onProgress callback threw: ${e && e.message}`)
    }
  }
}

function count(name, value, least) {
  if (!Number.isInteger(value) || value < least) {
    throw fail('ERR_CONFIG', `${name} must be an integer of at least ${least}, got ${value}`)
  }
  return value
}

// ---------------------------------------------------------------------------------------------
// NeuralForecast

const DEFAULT_COLS = { idCol: 'unique_id', timeCol: 'ds', targetCol: 'y' }

/** Conformal prediction intervals (NeuralForecast's `PredictionIntervals`). */
class PredictionIntervals {
  constructor({ nWindows = 2, method = 'conformal_distribution', stepSize = 1 } = {}) {
    if (!Number.isInteger(nWindows) || nWindows < 2) throw fail('ERR_CONFIG', 'You need at least two windows to compute conformal intervals')
    if (method !== 'conformal_distribution' && method !== 'conformal_error') throw fail('ERR_CONFIG', "method must be one of ['conformal_error', 'conformal_distribution']")
    count('stepSize', stepSize, 1)
    Object.assign(this, { nWindows, method, stepSize })
  }
}

class NeuralForecast {
  /** `models`: model objects (`new MLP({...})`); `freq`: a pandas alias ('ME', 'D', 'h') or an integer step. */
  constructor({ models: list, freq } = {}) {
    if (!Array.isArray(list) || list.length === 0 || !list.every((m) => m instanceof Model)) {
      throw fail('ERR_CONFIG', 'NeuralForecast needs models: a non-empty array of models (new MLP({ h, inputSize }), ...)')
    }
    if (freq === undefined || freq === null) throw fail('ERR_CONFIG', "NeuralForecast needs freq ('ME', 'D', 'h', ... or an integer step)")
    this._native = new native.Forecaster(list.map((m) => m.name), list.map((m) => m.config), String(freq))
    this.models = list
    this._cols = { ...DEFAULT_COLS }
  }

  /** The frequency, as pandas spells it. */
  get freq() {
    return this._native.freq
  }

  /** Whether fit (or crossValidation) has run. */
  get isFitted() {
    return this._native.isFitted
  }

  _columns(o) {
    return {
      idCol: o.idCol ?? this._cols.idCol,
      timeCol: o.timeCol ?? this._cols.timeCol,
      targetCol: o.targetCol ?? this._cols.targetCol,
    }
  }

  /** Fits every model on `df`; resolves when done. */
  async fit(df, options = {}) {
    const cols = this._columns(options)
    const panel = toPanel(df, this.freq, cols, { staticDf: options.staticDf })
    const pi = options.predictionIntervals
    if (pi !== undefined && !(pi instanceof PredictionIntervals)) throw fail('ERR_CONFIG', 'predictionIntervals must be a PredictionIntervals')
    const fitOptions = {
      valSize: count('valSize', options.valSize ?? 0, 0),
      intervalsWindows: pi?.nWindows,
      intervalsMethod: pi?.method,
      intervalsStepSize: pi?.stepSize,
    }
    const progress = progressFn(options.onProgress)
    await withSignal(options.signal, (token) => this._native.fit(panel, fitOptions, progress, token))
    this._cols = cols
    return this
  }

  /** Forecasts the next h points of every series (of the training data, or of `df`). */
  async predict(options = {}) {
    const cols = this._columns(options)
    const panel = options.df === undefined ? undefined : toPanel(options.df, this.freq, cols, { staticDf: options.staticDf })
    const futr = options.futrDf === undefined ? undefined : toPanel(options.futrDf, this.freq, cols, { future: true })
    const list = (v, name) => (v === undefined ? undefined : Array.from(v, (x) => {
      if (typeof x !== 'number') throw fail('ERR_CONFIG', `${name} must be numbers`)
      return x
    }))
    const r = await this._native.predict(panel, futr, list(options.level, 'level'), list(options.quantiles, 'quantiles'))
    return toFrame(r, cols)
  }

  /** Rolling-origin backtest: nWindows forecasts of h points, stepSize apart, the last ending at the end of each series. */
  async crossValidation(df, options = {}) {
    const cols = this._columns(options)
    const panel = toPanel(df, this.freq, cols, { staticDf: options.staticDf })
    const nWindows = count('nWindows', options.nWindows ?? 1, 1)
    const stepSize = count('stepSize', options.stepSize ?? 1, 1)
    const valSize = count('valSize', options.valSize ?? 0, 0)
    const r = await withSignal(options.signal, (token) => this._native.crossValidation(panel, nWindows, stepSize, valSize, Boolean(options.refit), token))
    this._cols = cols
    return toFrame(r, cols)
  }

  /** Forecasts of every full window of the training data, with cutoff and target. */
  async predictInsample(options = {}) {
    const r = await this._native.predictInsample(count('stepSize', options.stepSize ?? 1, 1))
    return toFrame(r, this._cols)
  }

  /** Saves into directory `path`, all or nothing; an earlier save is replaced only with `overwrite`. */
  async save(path, { overwrite = false } = {}) {
    await this._native.save(String(path), Boolean(overwrite))
  }

  /** Loads what `save` (or the command line's `neurodiv fit --save`, or Python's `save`) wrote. */
  static async load(path) {
    const n = await native.Forecaster.load(String(path))
    const nf = Object.create(NeuralForecast.prototype)
    nf._native = n
    nf.models = n.models().map(([name, config]) => modelFromConfig(name, config))
    nf._cols = { ...DEFAULT_COLS }
    return nf
  }

  toString() {
    return `NeuralForecast(models=[${this.models.join(', ')}], freq=${this.freq})`
  }
}

/** AirPassengers (monthly airline passengers in thousands, 1949-1960) as an object of columns. */
function airPassengers() {
  const lines = native.airPassengersCsv().trim().split(/\r?\n/).slice(1)
  const out = { unique_id: [], ds: [], y: new Float64Array(lines.length) }
  lines.forEach((line, i) => {
    const [id, ds, y] = line.split(',')
    out.unique_id.push(id)
    out.ds.push(new Date(ds.trim() + 'T00:00:00Z'))
    out.y[i] = Number(y)
  })
  return out
}

module.exports = {
  NeuralForecast,
  PredictionIntervals,
  Model,
  Loss,
  airPassengers,
  modelNames: native.modelNames,
  ...models,
  ...losses,
}
