// Requests to Unico per second over the last minute, as stacked bars (GetProcess, then token
// requests) under a dashed line at the budget the processor keeps to.
const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 300;
const HEIGHT = 80;

export function drawRateChart(svg, rate, budget) {
  const seconds = rate.getProcess.length;
  const totals = rate.getProcess.map((count, index) => count + (rate.token[index] ?? 0));
  const top = Math.max(1, ...totals, (budget ?? 0) * 1.25);
  const barWidth = WIDTH / seconds;
  const y = (value) => HEIGHT - (value / top) * (HEIGHT - 4);
  const shapes = [];
  rate.getProcess.forEach((count, index) => {
    const token = rate.token[index] ?? 0;
    if (count > 0) shapes.push(rect('getprocess', index * barWidth, y(count), barWidth - 1, HEIGHT - y(count)));
    if (token > 0) shapes.push(rect('token', index * barWidth, y(count + token), barWidth - 1, y(count) - y(count + token)));
  });
  if (budget) {
    const line = document.createElementNS(SVG, 'line');
    for (const [name, value] of Object.entries({ x1: 0, x2: WIDTH, y1: y(budget), y2: y(budget) })) line.setAttribute(name, String(value));
    line.setAttribute('class', 'budget');
    shapes.push(line);
  }
  svg.replaceChildren(...shapes);
}

function rect(kind, x, y, width, height) {
  const shape = document.createElementNS(SVG, 'rect');
  for (const [name, value] of Object.entries({ x, y, width: Math.max(0.5, width), height: Math.max(0, height) })) shape.setAttribute(name, String(value));
  shape.setAttribute('class', kind);
  return shape;
}
