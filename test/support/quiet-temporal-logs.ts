// Loaded before every test file: the SDK's worker logs at WARN, so test output shows what failed.
import { quietTemporalRuntime } from './temporal-test-env.js';

quietTemporalRuntime();
