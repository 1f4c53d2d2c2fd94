import * as CDX from '@cyclonedx/cyclonedx-library';

/** Validates against the CycloneDX 1.6 JSON schema in strict mode; returns the errors (null when valid). */
export async function cyclonedxErrors(text: string): Promise<unknown> {
  const validator = new CDX.Validation.JsonStrictValidator(CDX.Spec.Version.v1dot6);
  return validator.validate(text);
}
