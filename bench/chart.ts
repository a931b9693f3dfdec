// One SVG chart per scenario, rendered headlessly by Vega-Lite: a horizontal bar per contender (and
// per metric, when a scenario charts several), labelled with its median and unit, with a line for
// the range over the rounds, so that the chart reads without the table.
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { median, type ScenarioResult } from './harness.ts';
import { formatNumber } from './report.ts';

interface Bar {
  contender: string;
  metric: string;
  value: number;
  min: number;
  max: number;
  label: string;
}

function bars(result: ScenarioResult): Bar[] {
  const out: Bar[] = [];
  for (const key of result.chart) {
    const metric = result.metrics.find((m) => m.key === key)!;
    const metricName = `${metric.label}${metric.unit ? ` (${metric.unit})` : ''}`;
    for (const c of result.contenders) {
      const xs = c.samples.map((s) => s[key]!).filter(Number.isFinite);
      if (xs.length === 0) {
        const why = c.unsupported !== undefined ? 'not supported yet' : c.failure !== undefined ? 'failed' : 'no response';
        out.push({ contender: c.name, metric: metricName, value: 0, min: 0, max: 0, label: why });
        continue;
      }
      const value = median(xs);
      out.push({
        contender: c.name, metric: metricName, value, min: Math.min(...xs), max: Math.max(...xs),
        label: `${formatNumber(value, metric.decimals)} ${metric.unit}`.trim(),
      });
    }
  }
  return out;
}

export async function renderChart(result: ScenarioResult): Promise<string> {
  const data = bars(result);
  const several = result.chart.length > 1;
  const metrics = result.chart.map((k) => result.metrics.find((m) => m.key === k)!);
  const direction = metrics.every((m) => m.better === 'higher') ? 'longer is better'
    : metrics.every((m) => m.better === 'lower') ? 'shorter is better' : '';
  const rounds = Math.max(...result.contenders.map((c) => c.samples.length));
  const unit = metrics[0]!.unit;
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: result.title,
      subtitle: [`median of ${rounds} round(s), thin line: min–max${direction ? `; ${direction}` : ''}`],
      anchor: 'start',
    },
    width: 480,
    height: { step: several ? 16 : 24 },
    data: { values: data as unknown as Record<string, unknown>[] },
    encoding: {
      y: { field: 'contender', type: 'nominal', sort: null, title: null, axis: { labelLimit: 260 } },
      ...(several ? { yOffset: { field: 'metric', type: 'nominal', sort: null } } : {}),
    },
    layer: [
      {
        mark: { type: 'bar', ...(several ? {} : { color: '#4c78a8' }) },
        encoding: {
          x: { field: 'value', type: 'quantitative', title: several ? (unit || null) : `${metrics[0]!.label}${unit ? ` (${unit})` : ''}` },
          ...(several ? { color: { field: 'metric', type: 'nominal', sort: null, title: null, legend: { orient: 'bottom' } } } : {}),
        },
      },
      {
        mark: { type: 'rule', color: '#222' },
        encoding: { x: { field: 'min', type: 'quantitative' }, x2: { field: 'max' } },
      },
      {
        mark: { type: 'text', align: 'left', dx: 4, fontSize: 11 },
        encoding: { x: { field: 'max', type: 'quantitative' }, text: { field: 'label' } },
      },
    ],
    config: { view: { stroke: null }, font: 'sans-serif' },
  };
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  return view.toSVG();
}
