import { posix } from 'node:path';
import type { RawFinding } from '../../core/finding.js';
import { ruleById } from '../../core/registry.js';
import type { FileScanner, Probe, ScanContext, ScanOutcome } from '../../core/scanner.js';
import type { ModelPart } from '../../core/model-part.js';
import { reportUnreadable } from '../../core/unreadable.js';
import { firstLocalName } from '../../targets/zip.js';
import { enabledRuleSet } from '../code/dispatch.js';
import { hasModelExtension } from '../model/classify.js';
import { contentFromSource } from '../model/content.js';
import { createScope, scanContent } from '../model/dispatch.js';
import { readPackageArchive } from './archive.js';
import { checkBinaries, checkWheelPth } from './contents.js';
import { analyseModule, moduleCapabilities } from './heuristics/analyse-module.js';
import { checkInstallHooks } from './install/index.js';
import { checkMetadata } from './metadata/index.js';
import type { ByteSource } from '../../targets/source.js';
import type {
  CapabilityUse,
  ModuleRole,
  PackageArchive,
  PackageCheckContext,
  PackageKind,
  PackageMember,
} from './model.js';
import { REPORTED_SCORE, capabilitiesCouldMatter, riskScore, riskSeverity, type Threat } from './risk.js';
import { PACKAGE_RULES, PKG_RISK_001 } from './rules.js';
import { checkStructure } from './structure.js';

/**
 * `name-version.tar.gz` and the other sdist suffixes pip accepts. Legacy sdists keep hyphens in the name
 * (`python-dateutil-2.8.2.tar.gz`); the version is the last part that starts with a digit.
 */
const SDIST_NAME =
  /^([A-Za-z0-9][A-Za-z0-9._-]*?)-(\d[A-Za-z0-9._+!]*)\.(tar\.gz|tgz|tar\.bz2|tar\.xz|zip)$/i;

/**
 * Wheels by name. Sdists by name (`name-version.tar.gz`); a `.zip` only when its first member sits in the
 * `name-version/` folder its name promises, since model bundles are zips too and belong to the model scanner.
 */
function detectKind(probe: Probe): PackageKind | undefined {
  const name = posix.basename(probe.path);
  if (/\.whl$/i.test(name)) return 'wheel';
  const sdist = SDIST_NAME.exec(name);
  if (sdist === null) return undefined;
  if (sdist[3]?.toLowerCase() !== 'zip') return 'sdist';
  const stem = name.slice(0, -'.zip'.length);
  return firstLocalName(probe.head)?.startsWith(`${stem}/`) === true ? 'sdist' : undefined;
}

/**
 * Code that runs without the user calling it: `setup.py` at install, a top-level package's `__init__.py` at
 * import. Everything else runs only when called.
 */
function roleOf(path: string, kind: PackageKind): ModuleRole {
  if (kind === 'sdist' && path === 'setup.py') return 'install';
  if (/^(src\/)?[^/]+\/__init__\.py$/.test(path)) return 'import';
  return 'library';
}

/**
 * Model files bundled in a package (pretrained weights, pickled pipelines) are read by the model scanner: they
 * run code when the package loads them. `.pth` files are site configuration in packages, and `.bin` mostly raw data.
 */
function isModelFile(path: string): boolean {
  return hasModelExtension(path) && !/\.(pth|bin)$/i.test(path);
}

/**
 * What the risk score counts: the package rules, and model findings only when critical (a callable that runs
 * commands), since packages ship test pickles of old library versions that are merely unusual. Unreadable members
 * make the file unscannable; they are not threats.
 */
function countsAsThreat(finding: RawFinding): boolean {
  const rule = ruleById(finding.ruleId);
  if (rule?.domain === 'package') return true;
  return rule?.domain === 'model' && (finding.severity ?? rule.severity) === 'critical';
}

function pathOfMember(archive: PackageArchive | undefined, member: string | undefined): string {
  if (member === undefined) return '';
  return archive !== undefined && member.startsWith(archive.root)
    ? member.slice(archive.root.length)
    : member;
}

function riskMessage(score: ReturnType<typeof riskScore>): string {
  const capabilities = score.capabilities.length > 0 ? score.capabilities.join(', ') : 'none found';
  const unasked = score.unasked
    ? '; threats sit in code that runs without being called (at install, import or interpreter start)'
    : '';
  return `Risk ${score.score}/10: threats ${score.reasons.join(', ')}; capabilities: ${capabilities}${unasked}`;
}

/** One package scan: the threats and capabilities found so far, and the models read. */
class PackageScan {
  readonly threats: Threat[] = [];
  readonly capabilities: CapabilityUse[] = [];
  readonly models: ModelPart[] = [];
  private readonly context: ScanContext;
  private readonly absolutePath: string;
  private readonly fileName: string;
  private readonly kind: PackageKind;
  private readonly enabledRules: ReadonlySet<string> | undefined;
  readonly checkDeadline = (): void => {
    this.context.checkDeadline();
  };

  constructor(absolutePath: string, probe: Probe, context: ScanContext) {
    this.context = context;
    this.absolutePath = absolutePath;
    this.fileName = posix.basename(probe.path);
    this.kind = detectKind(probe) ?? 'sdist';
    this.enabledRules = enabledRuleSet(context.settings.enabledRules);
  }

  get format(): PackageKind {
    return this.kind;
  }

  reportThreat(finding: RawFinding, path: string, unasked: boolean): void {
    this.context.report(finding);
    // What the report leaves out (suppressed, or a rule the scan does not select) does not count either.
    const selected = this.enabledRules === undefined || this.enabledRules.has(finding.ruleId);
    if (finding.suppressed === undefined && selected && countsAsThreat(finding)) {
      this.threats.push({ finding, path, unasked });
    }
  }

  /** First pass: every member's header, the heuristics over each module, bundled models to the model scanner. */
  async read(): Promise<PackageArchive | undefined> {
    try {
      return await readPackageArchive(this.absolutePath, this.fileName, this.kind, {
        limits: this.context.settings.limits,
        checkDeadline: this.checkDeadline,
        model: { claims: isModelFile, visit: (member, data) => this.scanModel(member, data) },
        onModule: async (member, text) => {
          const role = roleOf(member.path, this.kind);
          const analysis = await analyseModule(text, {
            path: member.path,
            role,
            checkDeadline: this.checkDeadline,
            skipCapabilities: true,
            ...(this.enabledRules !== undefined && { enabledRules: this.enabledRules }),
          });
          for (const finding of analysis.findings) {
            this.reportThreat({ ...finding, member: member.name }, member.path, role !== 'library');
          }
        },
      });
    } catch (error) {
      // What was read before the failure still counts towards the risk; the file is unscannable either way.
      reportUnreadable(this.context, error);
      return undefined;
    }
  }

  private async scanModel(member: PackageMember, data: ByteSource): Promise<void> {
    const scope = createScope(
      {
        settings: this.context.settings,
        checkDeadline: this.checkDeadline,
        report: (finding) => {
          this.reportThreat(finding, member.path, false);
        },
      },
      undefined,
      this.models,
    );
    try {
      await scanContent(scope, contentFromSource(data, member.name, posix.basename(member.path), 1));
    } catch (error) {
      reportUnreadable(this.context, error, member.name);
    }
  }

  /** The checks over the whole archive: structure, binaries, `.pth` files, install hooks, metadata. */
  async check(archive: PackageArchive): Promise<void> {
    const checks: PackageCheckContext = {
      settings: this.context.settings,
      report: (finding) => {
        const path = pathOfMember(archive, finding.member);
        // `.pth` files run at every interpreter start, setup.py and build backends at install.
        const unasked =
          roleOf(path, this.kind) === 'install' || path === 'pyproject.toml' || path.endsWith('.pth');
        this.reportThreat(finding, path, unasked);
      },
      addCapability: (use) => this.capabilities.push(use),
      checkDeadline: this.checkDeadline,
    };
    checkStructure(archive, checks);
    checkBinaries(archive, checks);
    await checkWheelPth(archive, checks);
    // Malformed PKG-INFO, METADATA or TOML throws: the file is unscannable, and the other checks still run.
    for (const checkArchive of [checkInstallHooks, checkMetadata]) {
      try {
        await checkArchive(archive, checks);
      } catch (error) {
        reportUnreadable(this.context, error);
      }
    }
    this.markHookModules();
  }

  /**
   * Threats in the modules of an in-tree build backend run at every build, unasked; that is only known once
   * pyproject.toml was read, after the modules streamed by.
   */
  private markHookModules(): void {
    const hooks = this.capabilities
      .filter((use) => use.capability === 'install-hook' && use.path.endsWith('.py'))
      .map((use) =>
        use.path.endsWith('/__init__.py') ? use.path.slice(0, -'__init__.py'.length) : use.path,
      );
    const inHook = (path: string): boolean =>
      hooks.some((hook) => (hook.endsWith('/') ? path.startsWith(hook) : path === hook));
    for (const [index, threat] of this.threats.entries()) {
      if (!threat.unasked && inHook(threat.path)) this.threats[index] = { ...threat, unasked: true };
    }
  }

  /**
   * Second pass, only for packages whose threats the capabilities could lift to the reporting line: what their
   * modules can do. Most packages have no such threat, so most scans parse each module once.
   */
  async collectCapabilities(): Promise<void> {
    await readPackageArchive(this.absolutePath, this.fileName, this.kind, {
      limits: this.context.settings.limits,
      checkDeadline: this.checkDeadline,
      onModule: async (member, text) => {
        this.capabilities.push(...(await moduleCapabilities(text, member.path, this.checkDeadline)));
      },
    });
  }

  reportRisk(): void {
    const risk = riskScore(this.threats, this.capabilities, ruleById);
    if (risk.score < REPORTED_SCORE) return;
    this.context.report({
      ruleId: PKG_RISK_001.id,
      message: riskMessage(risk),
      // The kinds of threat, not the score: the fingerprint stays when a weight is tuned.
      evidence: [...new Set(this.threats.map((threat) => threat.finding.ruleId))].sort().join(', '),
      severity: riskSeverity(risk.score),
    });
  }
}

async function scan(absolutePath: string, probe: Probe, context: ScanContext): Promise<ScanOutcome> {
  const run = new PackageScan(absolutePath, probe, context);
  const archive = await run.read();
  if (archive !== undefined) {
    await run.check(archive);
    if (capabilitiesCouldMatter(run.threats, ruleById)) await run.collectCapabilities();
  }
  run.reportRisk();
  return { format: run.format, ...(run.models.length > 0 && { models: run.models }) };
}

export const packageScanner: FileScanner = {
  rules: PACKAGE_RULES,
  detect: (probe) => detectKind(probe),
  scan,
};
