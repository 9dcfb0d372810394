/**
 * Validation of the `hooks` option: an array of plugins, each an object with a
 * non-empty string `name` and only known hook methods (a misspelt hook would
 * otherwise never be called, silently).
 */
import { closestName, PLUGIN_MEMBER_NAMES } from "../config/known-options.js";
import { ValidationError } from "../errors/errors.js";
import type { WorkerPlugin } from "./plugin.js";

export function validatePlugins(value: unknown): readonly WorkerPlugin[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new ValidationError("hooks", value, "must be an array of plugins");
  value.forEach((plugin: unknown, index) => {
    const field = `hooks[${index}]`;
    if (plugin === null || typeof plugin !== "object" || Array.isArray(plugin)) {
      throw new ValidationError(field, plugin, "must be a plugin object");
    }
    const { name } = plugin as { name?: unknown };
    if (typeof name !== "string" || name.length === 0) {
      throw new ValidationError(`${field}.name`, name, "must be a non-empty string naming the plugin");
    }
    // Own and inherited members: a plugin may be a class instance with its hooks on the prototype.
    for (const member of pluginMembers(plugin)) {
      const hook = (plugin as Record<string, unknown>)[member];
      if (!PLUGIN_MEMBER_NAMES.has(member)) {
        const suggestion = closestName(member, PLUGIN_MEMBER_NAMES);
        const hint = suggestion === undefined ? "" : ` (did you mean ${JSON.stringify(suggestion)}?)`;
        throw new ValidationError(
          `${field}.${member}`,
          hook,
          `plugin ${JSON.stringify(name)} has an unknown hook ${JSON.stringify(member)}${hint}`,
        );
      }
      if (member !== "name" && hook !== undefined && typeof hook !== "function") {
        throw new ValidationError(
          `${field}.${member}`,
          hook,
          `hook ${JSON.stringify(member)} of plugin ${JSON.stringify(name)} must be a function`,
        );
      }
    }
  });
  return value as WorkerPlugin[];
}

/** The member names of a plugin: own enumerable ones plus methods of its class (not Object's). */
function pluginMembers(plugin: object): Set<string> {
  const names = new Set(Object.keys(plugin));
  for (let proto = Object.getPrototypeOf(plugin); proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const key of Object.getOwnPropertyNames(proto)) if (key !== "constructor") names.add(key);
  }
  return names;
}
