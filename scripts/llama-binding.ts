/**
 * Prints, as JSON, the llama.cpp CPU binary node-llama-cpp has just tested and loaded on this
 * host (core/llama-binding.ts), or null: run-tests.js runs it once and hands the record to
 * every test process (AFFIANT_LLAMA_BINDING). A file, not `node -e`: node-llama-cpp forks its
 * test with this process's flags, and `--input-type` is refused for a file.
 */
import { LlamaLogLevel } from "node-llama-cpp";
import { testedBinding } from "../core/llama-binding.ts";

process.stdout.write(JSON.stringify((await testedBinding(LlamaLogLevel.error)) ?? null));
