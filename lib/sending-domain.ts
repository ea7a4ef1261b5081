/**
 * The sending domain: the SES identity mail is sent from, with Easy DKIM (RSA 2048) and a custom MAIL FROM subdomain,
 * and the DNS records that make SPF, DKIM and DMARC align — what Gmail and Yahoo (February 2024) and Microsoft Outlook
 * (May 2025) require of bulk senders. The records are written into a Route 53 hosted zone when one is given, and are
 * always listed (`records`) for the stack's outputs, so a domain hosted elsewhere can be set up by hand.
 */
import { Aws, Duration, Fn } from 'aws-cdk-lib';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as ses from 'aws-cdk-lib/aws-ses';
import { Construct } from 'constructs';

/** One DNS record the domain needs: `name` is fully qualified, `value` as the DNS provider takes it. */
export interface DnsRecord {
  /** What it is for, for the output's description: `DKIM 1`, `MAIL FROM MX`, `SPF`, `DMARC`. */
  readonly purpose: string;
  readonly type: 'CNAME' | 'MX' | 'TXT';
  readonly name: string;
  readonly value: string;
}

export interface SendingDomainProps {
  /** The domain mail is sent from (the From address's domain), `mail.example.com`. */
  readonly domain: string;
  /**
   * `create`: this stack creates the identity. `import`: the identity exists already in the account and region (made
   * by another stage sharing the domain, or by hand); SES identities are unique per account and region, so only one
   * stage may create it.
   *
   * @default 'create'
   */
  readonly mode?: 'create' | 'import';
  /** The configuration set mail from this identity uses when a send names none. */
  readonly configurationSet?: ses.IConfigurationSet;
  /**
   * The MAIL FROM subdomain (the bounce address's domain, `bounce.mail.example.com`): SPF is checked against it, and it
   * must be a subdomain of `domain` for SPF to align with the From domain under DMARC.
   *
   * @default 'bounce'
   */
  readonly mailFromSubdomain?: string;
  /**
   * A Route 53 public hosted zone that holds `domain` (the zone of `domain` or of a parent of it): the DKIM, MAIL FROM
   * and DMARC records are created in it.
   *
   * @default - no records are created; the `records` are for the operator to add
   */
  readonly hostedZone?: route53.IHostedZone;
  /**
   * The DMARC policy suggested (and, with a hosted zone, published at `_dmarc.<domain>`). Start at `none`, read the
   * reports, then move to `quarantine` or `reject`.
   *
   * @default 'none'
   */
  readonly dmarcPolicy?: 'none' | 'quarantine' | 'reject';
  /**
   * Where DMARC aggregate reports go (`rua=mailto:`).
   *
   * @default - no `rua`: no reports
   */
  readonly dmarcReportAddress?: string;
  /**
   * Create the DMARC record in the hosted zone. Off when the domain already publishes one (Route 53 would refuse a
   * second record of that name, and the stack would fail).
   *
   * @default true when `hostedZone` is given
   */
  readonly createDmarcRecord?: boolean;
}

const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** Throws naming the rule when `domain` is not a lower-case DNS name with at least two labels. */
export function assertDomain(domain: string, what = 'sending domain'): string {
  if (!DOMAIN.test(domain)) throw new Error(`Sendwell: ${what} "${domain}" is not a domain name (lower-case labels, e.g. mail.example.com).`);
  return domain;
}

/**
 * The SES identity of the sending domain and its DNS records.
 *
 * @example
 * const domain = new SendingDomain(stack, 'SendingDomain', { domain: 'mail.example.com', configurationSet });
 * for (const r of domain.records) new CfnOutput(stack, …, { value: `${r.name} ${r.type} ${r.value}` });
 */
export class SendingDomain extends Construct {
  readonly domain: string;
  readonly mailFromDomain: string;
  /** The identity this stack created; undefined when imported. */
  readonly identity: ses.EmailIdentity | undefined;
  /** Every record the domain needs: DKIM CNAMEs (created identities only), MAIL FROM MX and SPF, DMARC. */
  readonly records: readonly DnsRecord[];

  constructor(scope: Construct, id: string, props: SendingDomainProps) {
    super(scope, id);
    this.domain = assertDomain(props.domain);
    const sub = props.mailFromSubdomain ?? 'bounce';
    if (!LABEL.test(sub)) throw new Error(`Sendwell: mailFromSubdomain "${sub}" is not one DNS label (e.g. bounce).`);
    this.mailFromDomain = `${sub}.${this.domain}`;
    const mode = props.mode ?? 'create';

    this.identity =
      mode === 'create'
        ? new ses.EmailIdentity(this, 'Identity', {
            identity: ses.Identity.domain(this.domain),
            configurationSet: props.configurationSet,
            dkimSigning: true,
            dkimIdentity: ses.DkimIdentity.easyDkim(ses.EasyDkimSigningKeyLength.RSA_2048_BIT),
            mailFromDomain: this.mailFromDomain,
            // Until the MX record is there, SES uses its own MAIL FROM (amazonses.com) rather than refusing to send;
            // DKIM alone still aligns DMARC meanwhile.
            mailFromBehaviorOnMxFailure: ses.MailFromBehaviorOnMxFailure.USE_DEFAULT_VALUE,
            // Bounces and complaints reach Sendwell through the configuration set's events, not by mail.
            feedbackForwarding: false,
          })
        : undefined;

    const dmarc = [`v=DMARC1`, `p=${props.dmarcPolicy ?? 'none'}`, ...(props.dmarcReportAddress ? [`rua=mailto:${props.dmarcReportAddress}`] : []), 'adkim=r', 'aspf=r'].join('; ');
    const identity = this.identity;
    const dkim: DnsRecord[] = identity
      ? ([1, 2, 3] as const).map((n) => ({
          purpose: `DKIM ${n}`,
          type: 'CNAME' as const,
          name: identity[`dkimDnsTokenName${n}`],
          value: identity[`dkimDnsTokenValue${n}`],
        }))
      : [];
    this.records = [
      ...dkim,
      { purpose: 'MAIL FROM MX', type: 'MX', name: this.mailFromDomain, value: `10 feedback-smtp.${Aws.REGION}.amazonses.com` },
      { purpose: 'MAIL FROM SPF', type: 'TXT', name: this.mailFromDomain, value: '"v=spf1 include:amazonses.com ~all"' },
      { purpose: 'DMARC', type: 'TXT', name: `_dmarc.${this.domain}`, value: `"${dmarc}"` },
    ];

    const zone = props.hostedZone;
    if (zone) {
      const ttl = Duration.hours(1);
      // Fully qualified (trailing dot): the DKIM names are tokens, which CDK would otherwise suffix with the zone name.
      dkim.forEach((r, i) => new route53.CnameRecord(this, `Dkim${i + 1}`, { zone, recordName: `${r.name}.`, domainName: r.value, ttl }));
      new route53.MxRecord(this, 'MailFromMx', {
        zone,
        recordName: `${this.mailFromDomain}.`,
        values: [{ priority: 10, hostName: Fn.join('', ['feedback-smtp.', Aws.REGION, '.amazonses.com']) }],
        ttl,
      });
      new route53.TxtRecord(this, 'MailFromSpf', { zone, recordName: `${this.mailFromDomain}.`, values: ['v=spf1 include:amazonses.com ~all'], ttl });
      if (props.createDmarcRecord ?? true) new route53.TxtRecord(this, 'Dmarc', { zone, recordName: `_dmarc.${this.domain}.`, values: [dmarc], ttl });
    }
  }
}
