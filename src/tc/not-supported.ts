/** The NotSupportedError for a kernel feature tsbcc's tc needs and the kernel lacks. */
import { NotSupportedError } from '../errors.js';
import { featureInfo, type FeatureName } from '../features/catalog.js';

/** A NotSupportedError naming the feature, its kernel option and tsbcc's fallback. */
export function notSupported(feature: FeatureName): NotSupportedError {
  const info = featureInfo(feature);
  return new NotSupportedError(
    `${info.description} (${feature})`,
    info.kernelOption,
    `without it tsbcc offers: ${info.fallback}`,
  );
}

/** The NotSupportedError of a tc kind (its declared feature). */
export function kindNotSupported(kind: { feature: { name: string } }): NotSupportedError {
  return notSupported(kind.feature.name as FeatureName);
}
