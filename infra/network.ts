/**
 * The network of the stage: the VPC and subnets (given, or the default VPC's), the
 * security groups and their rules, and the ALB in front of the config-api.
 */
import * as aws from '@pulumi/aws';
import type * as pulumi from '@pulumi/pulumi';
import { CONFIG_API_PORT, type StackContext } from './context';

export interface Network {
  vpcId: pulumi.Input<string>;
  subnetIds: pulumi.Input<string[]>;
  securityGroups: Record<'alb' | 'configApi' | 'workers', aws.ec2.SecurityGroup>;
  securityGroupRules: pulumi.Resource[];
  loadBalancer: aws.lb.LoadBalancer;
  targetGroup: aws.lb.TargetGroup;
  listeners: aws.lb.Listener[];
}

export function createNetwork({ args, prefix, tags }: StackContext): Network {
  const vpcId: pulumi.Input<string> = args.vpcId ?? aws.ec2.getVpcOutput({ default: true }).id;
  const subnetIds: pulumi.Input<string[]> =
    args.subnetIds ??
    aws.ec2.getSubnetsOutput({
      filters: [
        { name: 'vpc-id', values: [vpcId] },
        { name: 'default-for-az', values: ['true'] },
      ],
    }).ids;
  const securityGroups = {
    alb: new aws.ec2.SecurityGroup('alb-sg', {
      description: 'API Extractor ALB: HTTP(S) in, the config-api port out',
      vpcId,
      tags: { ...tags, Name: `${prefix}-alb` },
    }),
    configApi: new aws.ec2.SecurityGroup('config-api-sg', {
      description: 'API Extractor config-api tasks: the API port from the ALB only',
      vpcId,
      tags: { ...tags, Name: `${prefix}-config-api` },
    }),
    workers: new aws.ec2.SecurityGroup('workers-sg', {
      description: 'API Extractor scheduler and workers: no inbound traffic',
      vpcId,
      tags: { ...tags, Name: `${prefix}-workers` },
    }),
  };
  const listenerPorts = args.certificateArn ? [80, 443] : [80];
  // Outbound everywhere for the tasks: AWS APIs and the REST APIs being extracted.
  const anywhereOut = (key: 'configApi' | 'workers'): aws.vpc.SecurityGroupEgressRule =>
    new aws.vpc.SecurityGroupEgressRule(`${key}-egress`, {
      securityGroupId: securityGroups[key].id,
      ipProtocol: '-1',
      cidrIpv4: '0.0.0.0/0',
      description: 'AWS APIs and the extracted REST APIs',
    });
  const securityGroupRules: pulumi.Resource[] = [
    ...listenerPorts.flatMap((port) =>
      args.ingressCidrs.map(
        (cidr, i) =>
          new aws.vpc.SecurityGroupIngressRule(`alb-ingress-${port}-${i}`, {
            securityGroupId: securityGroups.alb.id,
            ipProtocol: 'tcp',
            fromPort: port,
            toPort: port,
            cidrIpv4: cidr,
          }),
      ),
    ),
    new aws.vpc.SecurityGroupEgressRule('alb-egress-config-api', {
      securityGroupId: securityGroups.alb.id,
      ipProtocol: 'tcp',
      fromPort: CONFIG_API_PORT,
      toPort: CONFIG_API_PORT,
      referencedSecurityGroupId: securityGroups.configApi.id,
    }),
    new aws.vpc.SecurityGroupIngressRule('config-api-ingress-alb', {
      securityGroupId: securityGroups.configApi.id,
      ipProtocol: 'tcp',
      fromPort: CONFIG_API_PORT,
      toPort: CONFIG_API_PORT,
      referencedSecurityGroupId: securityGroups.alb.id,
    }),
    anywhereOut('configApi'),
    anywhereOut('workers'),
  ];

  // ---- load balancer ----
  const loadBalancer = new aws.lb.LoadBalancer('alb', {
    name: `${prefix}-alb`.slice(0, 32).replace(/-+$/, ''),
    loadBalancerType: 'application',
    internal: false,
    securityGroups: [securityGroups.alb.id],
    subnets: subnetIds,
    dropInvalidHeaderFields: true,
    tags,
  });
  // Security groups and the target group are auto-named by Pulumi (a random suffix), so a
  // change that replaces them can create the new one before deleting the old.
  const targetGroup = new aws.lb.TargetGroup('config-api-tg', {
    port: CONFIG_API_PORT,
    protocol: 'HTTP',
    targetType: 'ip',
    vpcId,
    deregistrationDelay: 30,
    healthCheck: {
      path: '/health',
      protocol: 'HTTP',
      matcher: '200',
      interval: 15,
      timeout: 5,
      healthyThreshold: 2,
      unhealthyThreshold: 3,
    },
    tags,
  });
  const forward = [{ type: 'forward', targetGroupArn: targetGroup.arn }];
  const listeners = args.certificateArn
    ? [
        new aws.lb.Listener('https', {
          loadBalancerArn: loadBalancer.arn,
          port: 443,
          protocol: 'HTTPS',
          sslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
          certificateArn: args.certificateArn,
          defaultActions: forward,
        }),
        new aws.lb.Listener('http', {
          loadBalancerArn: loadBalancer.arn,
          port: 80,
          protocol: 'HTTP',
          defaultActions: [
            { type: 'redirect', redirect: { protocol: 'HTTPS', port: '443', statusCode: 'HTTP_301' } },
          ],
        }),
      ]
    : [
        new aws.lb.Listener('http', {
          loadBalancerArn: loadBalancer.arn,
          port: 80,
          protocol: 'HTTP',
          defaultActions: forward,
        }),
      ];
  return { vpcId, subnetIds, securityGroups, securityGroupRules, loadBalancer, targetGroup, listeners };
}
