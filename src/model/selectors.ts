/** The layer selector rules, in one place: exact name, `re:<regex>`, `type:<ClassName>`. */
export function selectorMatchesView(selector: string, layer: { name: string; className: string }): boolean {
  if (selector.startsWith('re:')) return new RegExp(selector.slice(3)).test(layer.name);
  if (selector.startsWith('type:')) return layer.className === selector.slice(5);
  return layer.name === selector;
}
