/** Topics, templates and segments, in the campaigns table (`TOPIC#id` / `TEMPLATE#id` / `SEGMENT#id`; gsi1 lists each kind). */
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, type Db } from './db.ts';
import { SendwellError } from '../../domain/errors.ts';
import type { Segment, TemplateRecord, Topic } from '../../schemas/stored.ts';
import { project, SEGMENT_FIELDS, TEMPLATE_FIELDS, TOPIC_FIELDS } from './stored-fields.ts';
import { isConditionFailure, type TableNames } from './tables.ts';

export class CatalogStore {
  readonly #db: Db;
  readonly #table: string;

  constructor(db: Db, tables: TableNames) {
    this.#db = db;
    this.#table = tables.campaigns;
  }

  async createTopic(topic: Topic): Promise<void> {
    try {
      await this.#db.send(
        new PutCommand({
          TableName: this.#table,
          Item: { pk: `TOPIC#${topic.id}`, sk: 'TOPIC', gsi1pk: 'TOPICS', gsi1sk: topic.id, ...topic },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (e) {
      if (isConditionFailure(e)) throw new SendwellError('conflict', `Topic ${topic.id} already exists.`, [{ path: 'id', message: 'taken' }]);
      throw e;
    }
  }

  async getTopic(id: string): Promise<Topic | undefined> {
    const out = await this.#db.send(new GetCommand({ TableName: this.#table, Key: { pk: `TOPIC#${id}`, sk: 'TOPIC' } }));
    return out.Item ? project<Topic>(out.Item, TOPIC_FIELDS) : undefined;
  }

  /** Replaces a topic that exists (`not_found` otherwise). */
  async updateTopic(topic: Topic): Promise<void> {
    try {
      await this.#db.send(
        new PutCommand({
          TableName: this.#table,
          Item: { pk: `TOPIC#${topic.id}`, sk: 'TOPIC', gsi1pk: 'TOPICS', gsi1sk: topic.id, ...topic },
          ConditionExpression: 'attribute_exists(pk)',
        }),
      );
    } catch (e) {
      if (isConditionFailure(e)) throw new SendwellError('not_found', `No topic ${topic.id}.`);
      throw e;
    }
  }

  /** Creates (`create`, `conflict` if taken) or replaces (`replace`, `not_found` if absent) a segment. */
  async putSegment(segment: Segment, mode: 'create' | 'replace'): Promise<void> {
    try {
      await this.#db.send(
        new PutCommand({
          TableName: this.#table,
          Item: { pk: `SEGMENT#${segment.id}`, sk: 'SEGMENT', gsi1pk: 'SEGMENTS', gsi1sk: segment.id, ...segment },
          ConditionExpression: mode === 'create' ? 'attribute_not_exists(pk)' : 'attribute_exists(pk)',
        }),
      );
    } catch (e) {
      if (!isConditionFailure(e)) throw e;
      throw mode === 'create'
        ? new SendwellError('conflict', `Segment ${segment.id} already exists; PUT /v1/segments/${segment.id} replaces it.`, [{ path: 'id', message: 'taken' }])
        : new SendwellError('not_found', `No segment ${segment.id}.`);
    }
  }

  async getSegment(id: string): Promise<Segment | undefined> {
    const out = await this.#db.send(new GetCommand({ TableName: this.#table, Key: { pk: `SEGMENT#${id}`, sk: 'SEGMENT' }, ConsistentRead: true }));
    return out.Item ? project<Segment>(out.Item, SEGMENT_FIELDS) : undefined;
  }

  async listSegments(): Promise<Segment[]> {
    return (await this.#listKind('SEGMENTS')).map((i) => project<Segment>(i, SEGMENT_FIELDS));
  }

  /** True if there was one to delete. */
  async deleteSegment(id: string): Promise<boolean> {
    const out = await this.#db.send(new DeleteCommand({ TableName: this.#table, Key: { pk: `SEGMENT#${id}`, sk: 'SEGMENT' }, ReturnValues: 'ALL_OLD' }));
    return out.Attributes !== undefined;
  }

  async listTopics(): Promise<Topic[]> {
    return (await this.#listKind('TOPICS')).map((i) => project<Topic>(i, TOPIC_FIELDS));
  }

  /** Creates (`mode: 'create'`, fails if taken) or replaces (`mode: 'replace'`, fails if absent) a template. */
  async putTemplate(template: TemplateRecord, mode: 'create' | 'replace'): Promise<void> {
    try {
      await this.#db.send(
        new PutCommand({
          TableName: this.#table,
          Item: { pk: `TEMPLATE#${template.id}`, sk: 'TEMPLATE', gsi1pk: 'TEMPLATES', gsi1sk: template.id, ...template },
          ConditionExpression: mode === 'create' ? 'attribute_not_exists(pk)' : 'attribute_exists(pk)',
        }),
      );
    } catch (e) {
      if (!isConditionFailure(e)) throw e;
      throw mode === 'create'
        ? new SendwellError('conflict', `Template ${template.id} already exists; PUT /v1/templates/${template.id} replaces it.`, [{ path: 'id', message: 'taken' }])
        : new SendwellError('not_found', `No template ${template.id}.`);
    }
  }

  async getTemplate(id: string): Promise<TemplateRecord | undefined> {
    const out = await this.#db.send(new GetCommand({ TableName: this.#table, Key: { pk: `TEMPLATE#${id}`, sk: 'TEMPLATE' } }));
    return out.Item ? project<TemplateRecord>(out.Item, TEMPLATE_FIELDS) : undefined;
  }

  async listTemplates(): Promise<TemplateRecord[]> {
    return (await this.#listKind('TEMPLATES')).map((i) => project<TemplateRecord>(i, TEMPLATE_FIELDS));
  }

  async #listKind(kind: string): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let cursor: Record<string, unknown> | undefined;
    do {
      const out = await this.#db.send(
        new QueryCommand({
          TableName: this.#table,
          IndexName: 'gsi1',
          KeyConditionExpression: 'gsi1pk = :k',
          ExpressionAttributeValues: { ':k': kind },
          ExclusiveStartKey: cursor,
        }),
      );
      // Keys and index attributes are left to the callers' projection onto each kind's fields.
      items.push(...(out.Items ?? []));
      cursor = out.LastEvaluatedKey;
    } while (cursor);
    return items;
  }
}
